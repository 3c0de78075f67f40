// `kubectl servicetoken rotate`: one merge patch of the rotate annotation
// with a sub-second timestamp, so two requests never carry the same value.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/types.h"
#include "fake_clock.h"
#include "mocks/fake_lease_client.h"
#include "plugin/commands.h"

namespace st::plugin {
namespace {

using ctrl::Json;
using ::testing::HasSubstr;

class RotateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_.put(serviceTokenResource(), "data",
                {{"apiVersion", kApiVersion},
                 {"kind", "ServiceToken"},
                 {"metadata", {{"name", "airflow"}, {"annotations", {{"team", "data"}}}}},
                 {"spec", {{"displayName", "Airflow"}, {"expiration", "30d"}}},
                 {"status", {{"secretName", "airflow-secret"}}}});
  }

  std::string annotation(const std::string& key) {
    auto o = client_.object(serviceTokenResource(), "data", "airflow");
    return o ? (*o)["metadata"]["annotations"].value(key, "") : "";
  }

  sttest::FakeLeaseClient client_;
  sttest::FakeClock clock_;
  std::ostringstream out_;
};

TEST_F(RotateTest, SetsTheAnnotationToAnRfc3339TimestampWithMicroseconds) {
  clock_.advance(std::chrono::microseconds(1234567));
  ctrl::Status s = requestRotation(client_, clock_, {"data", "airflow"}, out_);
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(annotation(kRotateAnnotation), "2026-01-01T00:00:01.234567Z");
  EXPECT_EQ(annotation("team"), "data");  // a merge patch keeps the other annotations
  EXPECT_EQ(client_.calls("patch"), 1);
  EXPECT_THAT(out_.str(), HasSubstr("Requested rotation of servicetoken airflow in namespace "
                                    "data (servicetoken.dev/rotate=2026-01-01T00:00:01.234567Z)"));
  EXPECT_THAT(out_.str(), HasSubstr("Secret airflow-secret"));
}

TEST_F(RotateTest, TwoRotationsWithinOneSecondDiffer) {
  ASSERT_TRUE(requestRotation(client_, clock_, {"data", "airflow"}, out_).isOk());
  const std::string first = annotation(kRotateAnnotation);
  clock_.advance(std::chrono::milliseconds(1));
  ASSERT_TRUE(requestRotation(client_, clock_, {"data", "airflow"}, out_).isOk());
  EXPECT_NE(annotation(kRotateAnnotation), first);
}

TEST_F(RotateTest, UnknownNameIsNotFoundInPlainWords) {
  ctrl::Status s = requestRotation(client_, clock_, {"data", "nope"}, out_);
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_EQ(s.message(), "servicetoken nope not found in namespace data");
  EXPECT_TRUE(out_.str().empty());
}

TEST_F(RotateTest, ForbiddenKeepsTheServersMessage) {
  client_.setInterceptor([](std::string_view, const ctrl::Resource&, std::string_view) {
    return ctrl::errorStatus(ctrl::Code::kForbidden, "servicetokens is forbidden: no patch");
  });
  ctrl::Status s = requestRotation(client_, clock_, {"data", "airflow"}, out_);
  EXPECT_EQ(s.code(), ctrl::Code::kForbidden);
  EXPECT_EQ(s.message(), "servicetokens is forbidden: no patch");
  EXPECT_EQ(exitCodeFor(s), kExitError);
  EXPECT_EQ(exitCodeFor(ctrl::Status::ok()), kExitOk);
}

}  // namespace
}  // namespace st::plugin
