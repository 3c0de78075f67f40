// `kubectl servicetoken status` shows Last Used (status.lastUsedTime, written
// by the verifier), and the codec reads it outside the operator's status.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

#include "api/codec.h"
#include "plugin/status_text.h"

namespace st::plugin {
namespace {

using ::testing::HasSubstr;

const ctrl::WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 1 / 11};

ServiceToken token() {
  ServiceToken t;
  t.meta.name = "airflow";
  t.meta.namespace_ = "data";
  t.spec.displayName = "Airflow";
  t.status.phase = "Active";
  return t;
}

TEST(LastUsedText, ShowsTheLastUseWithAHintOrNever) {
  ServiceToken t = token();
  EXPECT_THAT(formatStatus(t, kNow), HasSubstr("Last used:"));
  EXPECT_THAT(formatStatus(t, kNow), HasSubstr("never"));
  t.lastUsedTime = "2026-01-10T21:00:00Z";
  EXPECT_THAT(formatStatus(t, kNow), HasSubstr("2026-01-10T21:00:00Z (3h ago)"));
}

TEST(LastUsedText, TheCodecReadsItOutsideTheOperatorsStatus) {
  auto t = decodeServiceToken(ctrl::Json::parse(R"({
    "metadata": {"name": "airflow", "namespace": "data"},
    "spec": {"displayName": "Airflow", "type": "Service", "serviceUserRef": {"name": "a"}},
    "status": {"phase": "Active", "lastUsedTime": "2026-01-10T21:00:00Z"}})"));
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->lastUsedTime, "2026-01-10T21:00:00Z");
  // The operator's status write never carries it (so it never erases it).
  auto patch = statusPatch(t->status);
  ASSERT_TRUE(patch.isOk());
  EXPECT_FALSE(ctrl::Json::parse(patch->text)["status"].contains("lastUsedTime"));
}

}  // namespace
}  // namespace st::plugin
