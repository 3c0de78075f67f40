// CallOptions::response: with kMetadata, every call that returns one object
// returns its apiVersion, kind and metadata only (managedFields as
// ClientOptions::dropManagedFields says), and refuses what a full decode
// refuses; list pages stay whole; the fenced view passes the choice on.
#include <gtest/gtest.h>

#include <functional>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"
#include "controller/write_fence.h"

namespace sttest {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::ResponseShape;

// A ConfigMap as the API server answers a write.
const std::string kObject =
    R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","namespace":"ns",)"
    R"("uid":"u-1","resourceVersion":"12","managedFields":[{"manager":"op",)"
    R"("fieldsV1":{"f:data":{}}}]},"data":{"k":"v"},"immutable":false})";

// Every Reader/Writer method that returns one object, called with `call`
// over `client`, each answered with kObject.
using ObjectCall = std::function<ctrl::StatusOr<Json>(ctrl::Client&, const ctrl::CallOptions&)>;
std::vector<std::pair<std::string, ObjectCall>> objectCalls() {
  const Json object = Json::parse(kObject);
  const ctrl::Resource cm = ctrl::resources::configMap();
  return {
      {"get", [=](ctrl::Client& c, const ctrl::CallOptions& o) { return c.get(cm, "ns", "a", o); }},
      {"create", [=](ctrl::Client& c,
                     const ctrl::CallOptions& o) { return c.create(cm, "ns", object, {}, o); }},
      {"createSubresource",
       [=](ctrl::Client& c, const ctrl::CallOptions& o) {
         return c.createSubresource(cm, "ns", "a", "status", Json::object(), o);
       }},
      {"update", [=](ctrl::Client& c,
                     const ctrl::CallOptions& o) { return c.update(cm, "ns", object, {}, o); }},
      {"updateStatus",
       [=](ctrl::Client& c, const ctrl::CallOptions& o) {
         return c.updateStatus(cm, "ns", object, o);
       }},
      {"patch",
       [=](ctrl::Client& c, const ctrl::CallOptions& o) {
         return c.patch(cm, "ns", "a", ctrl::PatchType::kMerge, Json{{"data", {{"k", "v"}}}}, {},
                        o);
       }},
  };
}

TEST(ResponseShapeTest, MetadataOnlyFromEveryCallThatReturnsAnObject) {
  for (const bool drop : {false, true}) {
    JumpClock clock;
    ctrl::ClientOptions options;
    options.dropManagedFields = drop;
    TestClient tc = makeTestClient(clock, {}, options);
    for (const auto& [name, call] : objectCalls()) {
      tc.fake->pushResponse(200, kObject);
      auto got = call(*tc.client, ctrl::metadataOnlyAnswer());
      ASSERT_TRUE(got.isOk()) << name << ": " << got.status().toString();
      Json want = Json::parse(kObject);
      want.erase("data");
      want.erase("immutable");
      if (drop) want["metadata"].erase("managedFields");
      EXPECT_EQ(*got, want) << name << " (dropManagedFields " << drop << ")";
      EXPECT_EQ((*got)["metadata"]["resourceVersion"], "12") << name;
    }
  }
}

// The API server is asked for PartialObjectMetadata (it then encodes and
// sends only the metadata), with plain JSON as the fallback; a full answer
// is asked as plain JSON.
TEST(ResponseShapeTest, AsksTheServerForPartialObjectMetadata) {
  JumpClock clock;
  TestClient tc = makeTestClient(clock);
  auto accept = [](const ctrl::HttpRequest& req) {
    for (const auto& [name, value] : req.headers) {
      if (name == "Accept") return value;
    }
    return std::string();
  };
  for (const auto& [name, call] : objectCalls()) {
    for (const ctrl::CallOptions& o : {ctrl::metadataOnlyAnswer(), ctrl::CallOptions{}}) {
      tc.fake->pushResponse(200, kObject);
      ASSERT_TRUE(call(*tc.client, o).isOk()) << name;
      const std::string got = accept(tc.fake->requests().back().request);
      if (o.response == ResponseShape::kMetadata) {
        EXPECT_EQ(got,
                  "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json")
            << name;
      } else {
        EXPECT_EQ(got, "application/json") << name;
      }
    }
  }
  // The server's answer says PartialObjectMetadata: kept as it came.
  tc.fake->pushResponse(200, R"({"kind":"PartialObjectMetadata","apiVersion":"meta.k8s.io/v1",)"
                             R"("metadata":{"name":"a","resourceVersion":"13"}})");
  auto got = tc.client->get(ctrl::resources::configMap(), "ns", "a", ctrl::metadataOnlyAnswer());
  ASSERT_TRUE(got.isOk());
  EXPECT_EQ((*got)["metadata"]["resourceVersion"], "13");
  EXPECT_EQ((*got)["kind"], "PartialObjectMetadata");
}

TEST(ResponseShapeTest, TheWholeObjectByDefault) {
  JumpClock clock;
  TestClient tc = makeTestClient(clock);
  for (const auto& [name, call] : objectCalls()) {
    tc.fake->pushResponse(200, kObject);
    auto got = call(*tc.client, ctrl::CallOptions{});
    ASSERT_TRUE(got.isOk()) << name << ": " << got.status().toString();
    EXPECT_EQ(*got, Json::parse(kObject)) << name;
  }
}

TEST(ResponseShapeTest, AListPageStaysWhole) {
  JumpClock clock;
  TestClient tc = makeTestClient(clock);
  tc.fake->pushResponse(200, R"({"kind":"ConfigMapList","apiVersion":"v1",)"
                             R"("metadata":{"resourceVersion":"20"},"items":[)" +
                                 kObject + "]}");
  auto page = tc.client->list(ctrl::resources::configMap(), "ns", {}, ctrl::metadataOnlyAnswer());
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  EXPECT_EQ(page->resourceVersion, "20");
  ASSERT_EQ(page->items->size(), 1u);
  EXPECT_EQ((*page->items)[0], Json::parse(kObject));
}

// The members that are not built are still checked: a broken answer is
// refused as a full decode refuses it.
TEST(ResponseShapeTest, ABrokenAnswerIsRefusedAsWhenFull) {
  const std::string broken = R"({"kind":"ConfigMap","metadata":{"name":"a"},"data":{"k":"v",}})";
  std::vector<ctrl::Status> refusals;
  for (const ctrl::CallOptions& call : {ctrl::CallOptions{}, ctrl::metadataOnlyAnswer()}) {
    JumpClock clock;
    TestClient tc = makeTestClient(clock);
    tc.fake->pushResponse(200, broken);
    auto got = tc.client->get(ctrl::resources::configMap(), "ns", "a", call);
    ASSERT_FALSE(got.isOk());
    refusals.push_back(got.status());
  }
  EXPECT_EQ(refusals[1].code(), Code::kInternal);
  EXPECT_EQ(refusals[1].code(), refusals[0].code());
  EXPECT_EQ(refusals[1].message(), refusals[0].message());
}

class OpenFence final : public ctrl::WriteFence {
 public:
  bool mayWrite() const override { return true; }
  std::optional<ctrl::WriteGrant> admit() override {
    return ctrl::WriteGrant{ctrl::MonoTime::max(), {}};
  }
  void finish() override {}
};

TEST(ResponseShapeTest, TheFencedViewPassesItOn) {
  JumpClock clock;
  TestClient tc = makeTestClient(clock);
  OpenFence fence;
  auto fenced = ctrl::makeFencedClient(*tc.client, fence);
  for (const auto& [name, call] : objectCalls()) {
    tc.fake->pushResponse(200, kObject);
    auto got = call(*fenced, ctrl::metadataOnlyAnswer());
    ASSERT_TRUE(got.isOk()) << name << ": " << got.status().toString();
    EXPECT_FALSE(got->contains("data")) << name;
    EXPECT_EQ((*got)["metadata"]["uid"], "u-1") << name;
  }
}

}  // namespace
}  // namespace sttest
