#include "policy/lifetime.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace st {
namespace {

using std::chrono::hours;
using ::testing::HasSubstr;

constexpr int64_t kDay = 86400;

TEST(ParseDuration, AcceptsUnitsAndCombinations) {
  EXPECT_EQ(parseDuration("30d")->count(), 30 * kDay);
  EXPECT_EQ(parseDuration("720h")->count(), 720 * 3600);
  EXPECT_EQ(parseDuration("1d12h")->count(), kDay + 12 * 3600);
  EXPECT_EQ(parseDuration("90m")->count(), 5400);
  EXPECT_EQ(parseDuration("45s")->count(), 45);
}

TEST(ParseDuration, RejectsMalformedInput) {
  for (const char* bad : {"", "d", "10", "10x", "-1h", "1.5h", "1234567d", "10 d",
                          "123456789012345678901234567890123"}) {
    SCOPED_TRACE(bad);
    auto r = parseDuration(bad);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), ctrl::Code::kInvalidArgument);
  }
}

// Found by fuzzing (tests/fuzz/duration): the CRD's pattern allows up to
// 999999d per part, and a grace period that long overflowed the nanosecond
// clock in retainedUntil() at the next rotation.
TEST(ParseDuration, RejectsTotalsBeyondOneHundredYears) {
  EXPECT_EQ(parseDuration("36500d")->count(), 36500 * kDay);
  EXPECT_EQ(*parseDuration("36499d23h59m60s"), kMaxDuration);
  for (const char* tooLong : {"36500d1s", "203030d", "999999d", "1d101012m110d203030d110d4d"}) {
    SCOPED_TRACE(tooLong);
    auto r = parseDuration(tooLong);
    ASSERT_FALSE(r.isOk());
    EXPECT_EQ(r.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_THAT(r.status().message(), HasSubstr("at most 36500d"));
  }
}

ServiceTokenSpec spec(std::string expiration, std::optional<int> days = std::nullopt) {
  ServiceTokenSpec s;
  s.expiration = std::move(expiration);
  s.expiresInDays = days;
  return s;
}

TEST(ResolveLifetime, MapsEveryEnumValue) {
  EXPECT_EQ(resolveLifetime(spec("30d"))->duration->count(), 30 * kDay);
  EXPECT_EQ(resolveLifetime(spec("60d"))->duration->count(), 60 * kDay);
  EXPECT_EQ(resolveLifetime(spec("90d"))->duration->count(), 90 * kDay);
  EXPECT_EQ(resolveLifetime(spec("1y"))->duration->count(), 365 * kDay);
  EXPECT_FALSE(resolveLifetime(spec("Never"))->duration.has_value());
  EXPECT_EQ(resolveLifetime(spec("Never"))->label, "Never");
  auto days = resolveLifetime(spec("", 45));
  EXPECT_EQ(days->duration->count(), 45 * kDay);
  EXPECT_EQ(days->label, "45d");
}

TEST(ResolveLifetime, RejectsBothNeitherAndOutOfRange) {
  EXPECT_THAT(resolveLifetime(spec("30d", 10)).status().message(), HasSubstr("exactly one"));
  EXPECT_THAT(resolveLifetime(spec("")).status().message(), HasSubstr("exactly one"));
  EXPECT_FALSE(resolveLifetime(spec("", 0)).isOk());
  EXPECT_FALSE(resolveLifetime(spec("", 366)).isOk());
  EXPECT_FALSE(resolveLifetime(spec("2y")).isOk());
}

TEST(ResolveRotation, AppliesDefaults) {
  ServiceTokenSpec s = spec("30d");
  auto r = resolveRotation(s, *resolveLifetime(s));
  ASSERT_TRUE(r.isOk());
  EXPECT_TRUE(r->autoRotate);
  EXPECT_FALSE(r->renewBefore.has_value());
  EXPECT_EQ(r->gracePeriod, hours(24 * 7));
}

TEST(ResolveRotation, RejectsAGracePeriodBeyondOneHundredYears) {
  ServiceTokenSpec s = spec("Never");
  s.rotation = {"Auto", "", "36500d"};
  EXPECT_TRUE(resolveRotation(s, *resolveLifetime(s)).isOk());
  s.rotation = {"Auto", "", "203030d"};
  auto r = resolveRotation(s, *resolveLifetime(s));
  ASSERT_FALSE(r.isOk());
  EXPECT_THAT(r.status().message(), HasSubstr("spec.rotation.gracePeriod"));
}

TEST(ResolveRotation, ReadsSettingsAndRejectsRenewBeforeLongerThanLifetime) {
  ServiceTokenSpec s = spec("30d");
  s.rotation = {"Disabled", "10d", "36h"};
  auto r = resolveRotation(s, *resolveLifetime(s));
  ASSERT_TRUE(r.isOk());
  EXPECT_FALSE(r->autoRotate);
  EXPECT_EQ(r->renewBefore->count(), 10 * kDay);
  EXPECT_EQ(r->gracePeriod, hours(36));

  s.rotation = {"Auto", "30d", ""};
  EXPECT_THAT(resolveRotation(s, *resolveLifetime(s)).status().message(),
              HasSubstr("shorter than the token's lifetime"));
  s.rotation = {"Auto", "soon", ""};
  EXPECT_THAT(resolveRotation(s, *resolveLifetime(s)).status().message(),
              HasSubstr("spec.rotation.renewBefore"));
  s.rotation = {"Sometimes", "", ""};
  EXPECT_FALSE(resolveRotation(s, *resolveLifetime(s)).isOk());
}

}  // namespace
}  // namespace st
