// The key ring's history in the Secret (ring.json): round trip, limits,
// Secrets written before rotation existed, and the changes a decision makes.
#include "authority/key_ring_record.h"

#include <gtest/gtest.h>

#include "fake_clock.h"

namespace {

st::SigningKey newKey() {
  return std::move(st::SigningKey::generate(st::KeyAlgorithm::kEd25519)).value();
}

TEST(KeyRingRecord, RoundTripsThroughItsJson) {
  sttest::FakeClock clock;
  const auto t = clock.wallNow();
  st::KeyRingRecord record;
  record.keys["a"] = st::KeyTimes{t, t, t + std::chrono::hours(1)};
  record.keys["b"] = st::KeyTimes{t, std::nullopt, std::nullopt};
  record.revoked["c"] = t;
  record.honouredRequest = "2026-01-01T00:00:00.000001Z";
  auto parsed = st::parseRingRecord(st::formatRingRecord(record));
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(*parsed, record);
}

TEST(KeyRingRecord, RefusesOversizedDeepOrMalformedInputNamingTheField) {
  EXPECT_FALSE(st::parseRingRecord(std::string(st::kMaxRingRecordBytes + 1, ' ')).isOk());
  EXPECT_FALSE(st::parseRingRecord(R"({"keys":{"a":{"created":[[[["x"]]]]}}})").isOk());
  auto badTime = st::parseRingRecord(R"({"keys":{"a":{"created":"yesterday"}}})");
  ASSERT_FALSE(badTime.isOk());
  EXPECT_NE(badTime.status().message().find("keys.a.created"), std::string::npos)
      << badTime.status().message();
  EXPECT_FALSE(st::parseRingRecord(R"({"keys":{"a":{}}})").isOk());
  EXPECT_FALSE(st::parseRingRecord("[]").isOk());
  EXPECT_FALSE(st::parseRingRecord(R"({"revoked":{"a":1}})").isOk());
}

TEST(KeyRingRecord, ASecretWithoutHistoryCountsItsActiveKeyAsActiveSinceTheSecretWasCreated) {
  sttest::FakeClock clock;
  st::SigningKey a = newKey();
  st::SigningKey b = newKey();
  auto ring = st::SigningKeyRing::create({a, b}, a.kid());
  ASSERT_TRUE(ring.isOk());
  st::KeyRingRecord stale;
  stale.keys["gone"] = st::KeyTimes{clock.wallNow(), clock.wallNow(), std::nullopt};
  stale.revoked[a.kid()] = clock.wallNow();  // contradicted by the ring: it signs
  auto record = st::normaliseRecord(stale, *ring, clock.wallNow());
  ASSERT_EQ(record.keys.size(), 2u);
  EXPECT_EQ(record.keys.at(a.kid()).activated, clock.wallNow());
  EXPECT_EQ(record.keys.at(b.kid()).retired, clock.wallNow());
  EXPECT_FALSE(record.revoked.contains(a.kid()));
}

TEST(KeyRingRecord, RetireOldLeavesOneFreshKeyAndRevokesEveryOther) {
  sttest::FakeClock clock;
  st::SigningKey a = newKey();
  st::SigningKey next = newKey();
  auto ring = st::SigningKeyRing::create({a, next}, a.kid());
  ASSERT_TRUE(ring.isOk());
  st::KeyRingState state{*ring, {}};
  state.record.keys[a.kid()] = st::KeyTimes{clock.wallNow(), clock.wallNow(), std::nullopt};
  state.record.keys[next.kid()] = st::KeyTimes{clock.wallNow(), std::nullopt, std::nullopt};
  st::RotationDecision d;
  d.replaceAll = true;
  d.honour = "r";
  st::SigningKey fresh = newKey();
  auto after = st::applyKeyRotation(state, d, clock.wallNow(), [&] { return fresh; });
  ASSERT_TRUE(after.isOk()) << after.status().toString();
  EXPECT_EQ(after->ring.keys().size(), 1u);
  EXPECT_EQ(after->ring.active().kid(), fresh.kid());
  EXPECT_TRUE(after->record.revoked.contains(a.kid()));
  EXPECT_TRUE(after->record.revoked.contains(next.kid()));
  EXPECT_EQ(after->record.honouredRequest, "r");
  EXPECT_EQ(after->ring.jwks().find(a.kid()), nullptr);

  // And the Secret data carries the history, which reads back.
  auto data = st::toSecretData(*after);
  ASSERT_TRUE(data.isOk());
  auto back = st::SigningKeyRing::fromSecretData(*data);
  ASSERT_TRUE(back.isOk()) << back.status().toString();
  EXPECT_EQ(back->active().kid(), fresh.kid());
  auto record = st::parseRingRecord(data->at(std::string(st::kRingRecordKey)).reveal());
  ASSERT_TRUE(record.isOk());
  EXPECT_EQ(*record, after->record);
}

TEST(KeyRingRecord, PromotionRetiresTheActiveKeyAndCreationAddsAnInactiveOne) {
  sttest::FakeClock clock;
  st::SigningKey a = newKey();
  auto ring = st::SigningKeyRing::create({a}, a.kid());
  st::KeyRingState state{*ring, st::normaliseRecord({}, *ring, clock.wallNow())};
  st::RotationDecision create;
  create.createNext = true;
  st::SigningKey b = newKey();
  auto created = st::applyKeyRotation(state, create, clock.wallNow(), [&] { return b; });
  ASSERT_TRUE(created.isOk());
  EXPECT_EQ(created->ring.active().kid(), a.kid()) << "a new key signed at once";
  EXPECT_NE(created->ring.jwks().find(b.kid()), nullptr) << "a new key was not published";
  EXPECT_FALSE(created->record.keys.at(b.kid()).activated.has_value());

  clock.advance(std::chrono::minutes(5));
  st::RotationDecision promote;
  promote.promote = b.kid();
  auto promoted = st::applyKeyRotation(*created, promote, clock.wallNow(), nullptr);
  ASSERT_TRUE(promoted.isOk());
  EXPECT_EQ(promoted->ring.active().kid(), b.kid());
  EXPECT_EQ(promoted->record.keys.at(a.kid()).retired, clock.wallNow());
  EXPECT_NE(promoted->ring.jwks().find(a.kid()), nullptr) << "the old key left with its tokens";
}

}  // namespace
