// Writer's default createText()/patchText(): for implementations that keep
// objects (the fakes), the text is parsed and handed to create()/patch().
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <optional>

#include "controller/client.h"
#include "controller/json.h"
#include "controller/resource.h"

namespace {

using ctrl::Json;
using ctrl::StatusOr;

class ObjectWriter final : public ctrl::Writer {
 public:
  StatusOr<Json> create(const ctrl::Resource&, std::string_view ns, const Json& object,
                        const ctrl::WriteOptions& options, const ctrl::CallOptions&) override {
    created = object;
    createdNs = std::string(ns);
    dryRun = options.dryRun;
    return object;
  }
  StatusOr<Json> createSubresource(const ctrl::Resource&, std::string_view, std::string_view,
                                   std::string_view, const Json&,
                                   const ctrl::CallOptions&) override {
    return ctrl::Status(ctrl::Code::kInternal, "unused");
  }
  StatusOr<Json> update(const ctrl::Resource&, std::string_view, const Json&,
                        const ctrl::WriteOptions&, const ctrl::CallOptions&) override {
    return ctrl::Status(ctrl::Code::kInternal, "unused");
  }
  StatusOr<Json> updateStatus(const ctrl::Resource&, std::string_view, const Json&,
                              const ctrl::CallOptions&) override {
    return ctrl::Status(ctrl::Code::kInternal, "unused");
  }
  StatusOr<Json> patch(const ctrl::Resource&, std::string_view, std::string_view name,
                       ctrl::PatchType type, const Json& body, const ctrl::PatchOptions& options,
                       const ctrl::CallOptions&) override {
    patched = body;
    patchedName = std::string(name);
    patchType = type;
    subresource = options.subresource;
    return body;
  }
  ctrl::Status remove(const ctrl::Resource&, std::string_view, std::string_view,
                      const ctrl::DeleteOptions&, const ctrl::CallOptions&) override {
    return ctrl::Status(ctrl::Code::kInternal, "unused");
  }

  std::optional<Json> created, patched;
  std::string createdNs, patchedName, subresource;
  bool dryRun = false;
  ctrl::PatchType patchType = ctrl::PatchType::kJson;
};

TEST(WriterTextDefaults, TheTextIsParsedAndHandedOnWithItsOptions) {
  ObjectWriter writer;
  ctrl::Writer& w = writer;
  ctrl::WriteOptions write;
  write.dryRun = true;
  ASSERT_TRUE(w.createText(ctrl::resources::configMap(), "ns",
                           ctrl::JsonText{R"({"metadata":{"name":"cm"}})"}, write)
                  .isOk());
  EXPECT_EQ(writer.created, Json::parse(R"({"metadata":{"name":"cm"}})"));
  EXPECT_EQ(writer.createdNs, "ns");
  EXPECT_TRUE(writer.dryRun);

  ctrl::PatchOptions options;
  options.subresource = "status";
  ASSERT_TRUE(w.patchText(ctrl::resources::configMap(), "ns", "cm", ctrl::PatchType::kMerge,
                          ctrl::JsonText{R"({"status":{"a":null}})"}, options)
                  .isOk());
  EXPECT_EQ(writer.patched, Json::parse(R"({"status":{"a":null}})"));
  EXPECT_EQ(writer.patchedName, "cm");
  EXPECT_EQ(writer.patchType, ctrl::PatchType::kMerge);
  EXPECT_EQ(writer.subresource, "status");
}

TEST(WriterTextDefaults, TextThatIsNotJsonIsInvalidArgumentAndNothingIsWritten) {
  ObjectWriter writer;
  ctrl::Writer& w = writer;
  auto made = w.createText(ctrl::resources::configMap(), "ns", ctrl::JsonText{"{\"secret\":"});
  ASSERT_FALSE(made.isOk());
  EXPECT_EQ(made.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(made.status().message(), ::testing::Not(::testing::HasSubstr("secret")));
  EXPECT_FALSE(w.patchText(ctrl::resources::configMap(), "ns", "cm", ctrl::PatchType::kMerge,
                           ctrl::JsonText{"[1,"})
                   .isOk());
  EXPECT_FALSE(writer.created.has_value());
  EXPECT_FALSE(writer.patched.has_value());
}

}  // namespace
