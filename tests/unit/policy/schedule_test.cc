#include "policy/schedule.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

namespace st {
namespace {

using std::chrono::hours;
using Days = std::chrono::duration<int64_t, std::ratio<86400>>;

const ctrl::WallTime kIssued = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};

Lifetime days(int d) { return Lifetime{Days(d), std::to_string(d) + "d"}; }

TEST(RenewalTime, DefaultsToOneThirdOfTheLifetimeBeforeExpiryMinusSmallJitter) {
  struct Case {
    int lifetimeDays;
    int renewDay;  // nominal day of renewal
  } cases[] = {{30, 20}, {60, 40}, {90, 60}};
  for (const Case& c : cases) {
    for (const char* uid : {"uid-a", "uid-b", "0b4c-77"}) {
      auto t = renewalTime(kIssued, days(c.lifetimeDays), RotationSettings{}, uid);
      ASSERT_TRUE(t.has_value());
      const auto nominal = kIssued + Days(c.renewDay);
      EXPECT_LE(*t, nominal) << "jitter must only move rotation earlier";
      EXPECT_GE(*t, nominal - maxJitter(Days(c.lifetimeDays)));
    }
  }
  // 1y: 365 - 365/3 = about day 243.
  auto year = renewalTime(kIssued, Lifetime{Days(365), "1y"}, RotationSettings{}, "u");
  EXPECT_GE(*year, kIssued + Days(243) - hours(7));
  EXPECT_LE(*year, kIssued + Days(244));
}

// The mint loop of a 1-day token with renewBefore 23h59m: jitter put renewal
// before issuedAt, so every mint was due again at once.
TEST(RenewalTime, NeverEarlierThanHalfTheLifetimeWhateverRenewBeforeAndJitterSay) {
  RotationSettings almostAll;
  almostAll.renewBefore = std::chrono::hours(23) + std::chrono::minutes(59);
  for (const char* uid : {"uid-a", "uid-b", "0b4c-77", "ffff"}) {
    auto t = renewalTime(kIssued, days(1), almostAll, uid);
    ASSERT_TRUE(t.has_value());
    EXPECT_EQ(*t, kIssued + hours(12)) << uid;
  }
  RotationSettings longerThanLife;
  longerThanLife.renewBefore = Days(400);
  auto year = renewalTime(kIssued, Lifetime{Days(365), "1y"}, longerThanLife, "u");
  ASSERT_TRUE(year.has_value());
  EXPECT_EQ(*year, kIssued + std::chrono::seconds(Days(365)) / 2);
  // Exactly half: the floor, even where the jitter would move it earlier.
  RotationSettings half;
  half.renewBefore = Days(15);
  for (const char* uid : {"uid-a", "uid-b", "0b4c-77"}) {
    EXPECT_EQ(*renewalTime(kIssued, days(30), half, uid), kIssued + Days(15)) << uid;
  }
}

TEST(RenewalTime, IsDeterministicPerObjectAndSpreadAcrossObjects) {
  auto a1 = renewalTime(kIssued, days(30), RotationSettings{}, "same-uid");
  auto a2 = renewalTime(kIssued, days(30), RotationSettings{}, "same-uid");
  EXPECT_EQ(a1, a2);
  std::set<int64_t> distinct;
  for (int i = 0; i < 100; ++i) {
    auto t = renewalTime(kIssued, days(30), RotationSettings{}, "uid-" + std::to_string(i));
    distinct.insert(
        std::chrono::duration_cast<std::chrono::seconds>(t->time_since_epoch()).count());
  }
  EXPECT_GT(distinct.size(), 90u);
}

TEST(RenewalTime, HonoursRenewBeforeAndIsAbsentForNeverOrDisabled) {
  RotationSettings custom;
  custom.renewBefore = Days(5);
  auto t = renewalTime(kIssued, days(30), custom, "u");
  EXPECT_LE(*t, kIssued + Days(25));
  EXPECT_GT(*t, kIssued + Days(24));

  EXPECT_FALSE(renewalTime(kIssued, Lifetime{std::nullopt, "Never"}, RotationSettings{}, "u"));
  RotationSettings disabled;
  disabled.autoRotate = false;
  EXPECT_FALSE(renewalTime(kIssued, days(30), disabled, "u"));
}

TEST(RetainedUntil, IsTheGracePeriodOrTheOldExpiryWhicheverIsFirst) {
  const auto rotated = kIssued + Days(20);
  EXPECT_EQ(retainedUntil(rotated, Days(7), kIssued + Days(30)), rotated + Days(7));
  EXPECT_EQ(retainedUntil(rotated, Days(14), kIssued + Days(30)), kIssued + Days(30));
  EXPECT_EQ(retainedUntil(rotated, Days(7), std::nullopt), rotated + Days(7));
}

}  // namespace
}  // namespace st
