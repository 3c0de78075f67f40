// The signing-key rotation decision (authority/key_rotation_policy.h), driven
// by the fake clock: the schedule, the publish delay, keeping a retired key
// while a token it signed is valid, and retire-old.
#include "authority/key_rotation_policy.h"

#include <gtest/gtest.h>

#include "authority/key_ring_record.h"
#include "fake_clock.h"

namespace {

using std::chrono::days;
using std::chrono::hours;
using std::chrono::minutes;

constexpr auto kInterval = days(90);
constexpr auto kDelay = minutes(5);

class KeyRotationPolicy : public ::testing::Test {
 protected:
  // A ring whose only key "a" became active at the fake clock's start.
  KeyRotationPolicy() : start_(clock_.wallNow()) {
    record_.keys["a"] = st::KeyTimes{start_, start_, std::nullopt};
  }

  st::RotationInput input(std::optional<std::set<std::string>> inUse = std::set<std::string>{}) {
    st::RotationInput in;
    in.activeKid = active_;
    in.record = record_;
    in.now = clock_.wallNow();
    in.interval = kInterval;
    in.publishDelay = kDelay;
    in.kidsInUse = std::move(inUse);
    return in;
  }

  sttest::FakeClock clock_;
  const ctrl::WallTime start_;
  st::KeyRingRecord record_;
  std::string active_ = "a";
};

TEST_F(KeyRotationPolicy, NothingHappensBeforeTheNextKeyIsDueAndItSaysWhenToLookAgain) {
  clock_.advance(days(80));
  auto d = st::decideKeyRotation(input());
  EXPECT_FALSE(d.changes());
  ASSERT_TRUE(d.wakeAt.has_value());
  EXPECT_EQ(*d.wakeAt, start_ + kInterval - kDelay);
}

TEST_F(KeyRotationPolicy, TheScheduleRunsFromActivationOrCreationAndNotAtAllWithoutInterval) {
  const ctrl::WallTime now = start_ + days(3);
  EXPECT_EQ(st::scheduledRotationAt(record_, "a", kInterval, now), start_ + kInterval);
  // A key the record holds without an activation time: from its creation.
  record_.keys["b"] = st::KeyTimes{start_ + days(1), std::nullopt, std::nullopt};
  EXPECT_EQ(st::scheduledRotationAt(record_, "b", kInterval, now), start_ + days(1) + kInterval);
  // A kid the record does not know: from now.
  EXPECT_EQ(st::scheduledRotationAt(record_, "zz", kInterval, now), now + kInterval);
  EXPECT_EQ(st::scheduledRotationAt(record_, "a", ctrl::Duration::zero(), now), std::nullopt);
}

TEST_F(KeyRotationPolicy, TheNextKeyIsCreatedOnePublishDelayBeforeTheRotationIsDue) {
  clock_.advance(kInterval - kDelay - std::chrono::seconds(1));
  EXPECT_FALSE(st::decideKeyRotation(input()).createNext);
  clock_.advance(std::chrono::seconds(1));
  auto d = st::decideKeyRotation(input());
  EXPECT_TRUE(d.createNext);
  EXPECT_TRUE(d.promote.empty()) << "a key created now must not sign now";
}

TEST_F(KeyRotationPolicy, ANewKeySignsOnlyAfterItWasPublishedForThePublishDelay) {
  // The operator was down: the next key is created only after the rotation was due.
  clock_.advance(kInterval + hours(1));
  record_.keys["b"] = st::KeyTimes{clock_.wallNow(), std::nullopt, std::nullopt};
  auto early = st::decideKeyRotation(input());
  EXPECT_TRUE(early.promote.empty());
  EXPECT_FALSE(early.createNext) << "a second next key";
  ASSERT_TRUE(early.wakeAt.has_value());
  EXPECT_EQ(*early.wakeAt, clock_.wallNow() + kDelay);

  clock_.advance(kDelay - std::chrono::seconds(1));
  EXPECT_TRUE(st::decideKeyRotation(input()).promote.empty());
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(st::decideKeyRotation(input()).promote, "b");
}

TEST_F(KeyRotationPolicy, ANextKeyPublishedEarlyWaitsForTheSchedule) {
  clock_.advance(kInterval - kDelay);
  record_.keys["b"] = st::KeyTimes{clock_.wallNow(), std::nullopt, std::nullopt};
  clock_.advance(minutes(4));
  auto d = st::decideKeyRotation(input());
  EXPECT_TRUE(d.promote.empty());
  EXPECT_EQ(*d.wakeAt, start_ + kInterval);
  clock_.advance(minutes(1));
  EXPECT_EQ(st::decideKeyRotation(input()).promote, "b");
}

TEST_F(KeyRotationPolicy, ARetiredKeyStaysWhileATokenItSignedIsValidAndIsDroppedAfter) {
  // "a" retired when "b" took over.
  clock_.advance(kInterval);
  record_.keys["a"].retired = clock_.wallNow();
  record_.keys["b"] = st::KeyTimes{clock_.wallNow() - kDelay, clock_.wallNow(), std::nullopt};
  active_ = "b";

  clock_.advance(days(30));
  auto kept = st::decideKeyRotation(input(std::set<std::string>{"a", "b"}));
  EXPECT_TRUE(kept.drop.empty()) << "a token signed by the retired key is still valid";

  auto unknown = st::decideKeyRotation(input(std::nullopt));
  EXPECT_TRUE(unknown.drop.empty()) << "dropped a key while the tokens were not known";

  auto gone = st::decideKeyRotation(input(std::set<std::string>{"b"}));
  ASSERT_EQ(gone.drop.size(), 1u);
  EXPECT_EQ(gone.drop[0], "a");
}

TEST_F(KeyRotationPolicy, AJustRetiredKeyStaysForThePublishDelayEvenWhenNoTokenUsesIt) {
  clock_.advance(kInterval);
  record_.keys["a"].retired = clock_.wallNow();
  record_.keys["b"] = st::KeyTimes{clock_.wallNow() - kDelay, clock_.wallNow(), std::nullopt};
  active_ = "b";
  auto d = st::decideKeyRotation(input(std::set<std::string>{"b"}));
  EXPECT_TRUE(d.drop.empty()) << "a mint in flight with the old key may not be cached yet";
  EXPECT_EQ(*d.wakeAt, clock_.wallNow() + kDelay);
  clock_.advance(kDelay);
  EXPECT_EQ(st::decideKeyRotation(input(std::set<std::string>{"b"})).drop,
            std::vector<std::string>{"a"});
}

TEST_F(KeyRotationPolicy, ARequestRotatesNowButStillPublishesBeforeSigning) {
  clock_.advance(days(3));
  auto in = input();
  in.request = "2026-01-04T00:00:00.000000Z";
  auto create = st::decideKeyRotation(in);
  EXPECT_TRUE(create.createNext);
  EXPECT_TRUE(create.honour.empty()) << "honoured before the new key signs";

  record_.keys["b"] = st::KeyTimes{clock_.wallNow(), std::nullopt, std::nullopt};
  in = input();
  in.request = "2026-01-04T00:00:00.000000Z";
  EXPECT_TRUE(st::decideKeyRotation(in).promote.empty());
  clock_.advance(kDelay);
  in.now = clock_.wallNow();
  auto promote = st::decideKeyRotation(in);
  EXPECT_EQ(promote.promote, "b");
  EXPECT_EQ(promote.honour, in.request);
}

TEST_F(KeyRotationPolicy, AHonouredRequestIsNotActedOnAgain) {
  record_.honouredRequest = "r1";
  auto in = input();
  in.request = "r1";
  in.retireOld = true;
  EXPECT_FALSE(st::decideKeyRotation(in).changes());
}

TEST_F(KeyRotationPolicy, RetireOldReplacesEveryKeyAtOnceWithoutWaitingForAnything) {
  clock_.advance(days(10));
  record_.keys["n"] = st::KeyTimes{clock_.wallNow(), std::nullopt, std::nullopt};
  record_.keys["old"] = st::KeyTimes{start_, start_, start_};
  auto in = input(std::nullopt);  // even while the caches are not synced
  in.request = "r2";
  in.retireOld = true;
  auto d = st::decideKeyRotation(in);
  EXPECT_TRUE(d.replaceAll);
  EXPECT_EQ(d.honour, "r2");
  EXPECT_FALSE(d.message.empty());
}

TEST_F(KeyRotationPolicy, RevokedKidsAreRememberedWhileATokenCarriesThem) {
  record_.revoked["x"] = start_;
  EXPECT_TRUE(st::decideKeyRotation(input(std::set<std::string>{"a", "x"})).forgetRevoked.empty());
  EXPECT_TRUE(st::decideKeyRotation(input(std::nullopt)).forgetRevoked.empty());
  EXPECT_EQ(st::decideKeyRotation(input(std::set<std::string>{"a"})).forgetRevoked,
            std::vector<std::string>{"x"});
}

TEST_F(KeyRotationPolicy, AZeroIntervalRotatesOnlyOnRequest) {
  clock_.advance(days(3650));
  auto in = input();
  in.interval = ctrl::Duration::zero();
  auto d = st::decideKeyRotation(in);
  EXPECT_FALSE(d.changes());
  EXPECT_FALSE(d.wakeAt.has_value());
}

TEST_F(KeyRotationPolicy, AFullRingCreatesNoKeyAndSaysWhy) {
  for (int i = 0; i < 15; ++i) {
    record_.keys["r" + std::to_string(i)] = st::KeyTimes{start_, start_, start_};
  }
  clock_.advance(kInterval);
  std::set<std::string> all;
  for (const auto& [kid, t] : record_.keys) all.insert(kid);
  auto d = st::decideKeyRotation(input(all));
  EXPECT_FALSE(d.createNext);
  EXPECT_NE(d.message.find("16 keys"), std::string::npos) << d.message;
}

// A year of decisions applied to a real ring, one pass a minute: every key
// was published for the publish delay before it signed, keys rotate on
// schedule, and a retired key leaves only after the tokens it signed expired.
TEST_F(KeyRotationPolicy, AYearOfScheduledRotationsKeepsEveryInvariant) {
  auto generate = [] { return st::SigningKey::generate(st::KeyAlgorithm::kEd25519); };
  auto first = generate();
  ASSERT_TRUE(first.isOk());
  const std::string firstKid = first->kid();
  auto ring = st::SigningKeyRing::create({*first}, firstKid);
  ASSERT_TRUE(ring.isOk());
  st::KeyRingState state{*ring, st::normaliseRecord({}, *ring, clock_.wallNow())};
  // Tokens live 30 days: a token signed at t keeps its key in use until t+30d.
  std::map<std::string, ctrl::WallTime> lastSignedBy;
  int promotions = 0;
  for (int minute = 0; minute < 365 * 24 * 60; minute += 1) {
    const ctrl::WallTime now = clock_.wallNow();
    lastSignedBy[state.ring.active().kid()] = now;
    std::set<std::string> inUse;
    for (const auto& [kid, at] : lastSignedBy) {
      if (at + days(30) > now) inUse.insert(kid);
    }
    st::RotationInput in;
    in.activeKid = state.ring.active().kid();
    in.record = state.record;
    in.now = now;
    in.interval = kInterval;
    in.publishDelay = kDelay;
    in.kidsInUse = inUse;
    auto d = st::decideKeyRotation(in);
    if (d.changes()) {
      for (const std::string& kid : d.drop) {
        EXPECT_FALSE(inUse.contains(kid)) << "dropped a key a valid token needs";
      }
      if (!d.promote.empty()) {
        ++promotions;
        EXPECT_GE(now - state.record.keys.at(d.promote).created, kDelay)
            << "a key signed before it was published for the publish delay";
      }
      auto next = st::applyKeyRotation(state, d, now, generate);
      ASSERT_TRUE(next.isOk()) << next.status().toString();
      state = std::move(next).value();
    }
    clock_.advance(minutes(1));
  }
  EXPECT_EQ(promotions, 4);  // days 90, 180, 270, 360
  EXPECT_LE(state.ring.keys().size(), 3u) << "retired keys were never dropped";
  EXPECT_FALSE(state.record.keys.contains(firstKid));
}

}  // namespace
