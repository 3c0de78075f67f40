// What a signing-key write changed, as people see it: the Event on the key
// Secret and the signing-key metrics, for each kind of rotation step.
#include "authority/key_change.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "authority/key_metrics.h"
#include "fake_clock.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

st::SigningKey newKey() {
  return std::move(st::SigningKey::generate(st::KeyAlgorithm::kEd25519)).value();
}

// A ring whose active key `a` signs since `t`, with a published `next` key.
class KeyChangeTest : public ::testing::Test {
 protected:
  KeyChangeTest()
      : state_{std::move(st::SigningKeyRing::create({a_, next_}, a_.kid())).value(), {}} {
    const auto t = clock_.wallNow();
    state_.record.keys[a_.kid()] = st::KeyTimes{t, t, std::nullopt};
    state_.record.keys[next_.kid()] = st::KeyTimes{t, std::nullopt, std::nullopt};
  }
  st::KeyRingState apply(const st::RotationDecision& d) {
    auto after = st::applyKeyRotation(state_, d, clock_.wallNow(), [&] { return fresh_; });
    EXPECT_TRUE(after.isOk()) << after.status().toString();
    return after.isOk() ? std::move(after).value() : state_;
  }

  sttest::FakeClock clock_;
  st::SigningKey a_ = newKey();
  st::SigningKey next_ = newKey();
  st::SigningKey fresh_ = newKey();
  st::KeyRingState state_;
};

TEST_F(KeyChangeTest, PromotingTheNextKeyIsAnActivation) {
  st::RotationDecision d;
  d.promote = next_.kid();
  const st::KeyChange c = st::describeKeyChange(state_, apply(d));
  EXPECT_EQ(c.activated, next_.kid());
  EXPECT_TRUE(c.published.empty());
  EXPECT_TRUE(c.revoked.empty());
  EXPECT_TRUE(c.dropped.empty()) << "the retired key stays while tokens need it";
  auto events = st::keyChangeEvents(c, "The new key has been published for the publish delay");
  ASSERT_EQ(events.size(), 1u);
  const st::KeyChangeEvent* e = &events[0];
  EXPECT_EQ(e->type, ctrl::EventType::kNormal);
  EXPECT_EQ(e->reason, "SigningKeyActivated");
  EXPECT_THAT(e->note, HasSubstr(next_.kid()));
  EXPECT_THAT(e->note, HasSubstr("published for the publish delay."));
}

TEST_F(KeyChangeTest, RetireOldIsAWarningNamingEveryWithdrawnKey) {
  st::RotationDecision d;
  d.replaceAll = true;
  d.honour = "request-1";
  const st::KeyChange c = st::describeKeyChange(state_, apply(d));
  EXPECT_THAT(c.published, ElementsAre(fresh_.kid()));
  EXPECT_EQ(c.activated, fresh_.kid());
  EXPECT_EQ(c.revoked.size(), 2u);
  EXPECT_TRUE(c.dropped.empty()) << "withdrawn keys are revoked, not dropped";
  auto events = st::keyChangeEvents(c, "");
  ASSERT_EQ(events.size(), 1u);
  const st::KeyChangeEvent* e = &events[0];
  EXPECT_EQ(e->type, ctrl::EventType::kWarning);
  EXPECT_EQ(e->reason, "SigningKeysRevoked");
  EXPECT_THAT(e->note, HasSubstr(a_.kid()));
  EXPECT_THAT(e->note, HasSubstr(next_.kid()));
  EXPECT_THAT(e->note, HasSubstr("re-minted"));
}

TEST_F(KeyChangeTest, APublishedKeyAndADroppedKeyAreToldApart) {
  // The promoted state: `a` retired, `next` signs. Then a new next key is
  // published and `a` is dropped in separate writes.
  st::RotationDecision promote;
  promote.promote = next_.kid();
  state_ = apply(promote);
  st::RotationDecision create;
  create.createNext = true;
  st::KeyChange c = st::describeKeyChange(state_, apply(create));
  EXPECT_THAT(c.published, ElementsAre(fresh_.kid()));
  EXPECT_TRUE(c.activated.empty());
  ASSERT_EQ(st::keyChangeEvents(c, "").size(), 1u);
  EXPECT_EQ(st::keyChangeEvents(c, "")[0].reason, "SigningKeyPublished");

  st::RotationDecision drop;
  drop.drop = {a_.kid()};
  c = st::describeKeyChange(state_, apply(drop));
  EXPECT_THAT(c.dropped, ElementsAre(a_.kid()));
  auto events = st::keyChangeEvents(c, "");
  ASSERT_EQ(events.size(), 1u);
  const st::KeyChangeEvent* e = &events[0];
  EXPECT_EQ(e->reason, "SigningKeysDropped");
  EXPECT_EQ(e->type, ctrl::EventType::kNormal);
  EXPECT_THAT(e->note, HasSubstr(a_.kid()));
}

TEST_F(KeyChangeTest, AWriteThatOnlyRecordsARequestIsNoEvent) {
  st::RotationDecision d;
  d.honour = "request-2";
  const st::KeyChange c = st::describeKeyChange(state_, apply(d));
  EXPECT_TRUE(c.empty());
  EXPECT_TRUE(st::keyChangeEvents(c, "whatever").empty());
}

// A write that activates the next key and drops a retired one in one go
// tells both: a drop is never folded into another Event's note, so whoever
// watches for SigningKeysDropped sees every drop.
TEST_F(KeyChangeTest, AnActivationThatAlsoDropsAKeyTellsBothAsTheirOwnEvents) {
  st::KeyChange c;
  c.activated = next_.kid();
  c.dropped = {a_.kid()};
  auto events = st::keyChangeEvents(c, "The new key has been published for the publish delay");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].reason, "SigningKeyActivated");
  EXPECT_THAT(events[0].note, HasSubstr(next_.kid()));
  EXPECT_THAT(events[0].note, Not(HasSubstr(a_.kid())));
  EXPECT_THAT(events[0].note, HasSubstr("published for the publish delay."));
  EXPECT_EQ(events[1].reason, "SigningKeysDropped");
  EXPECT_EQ(events[1].type, ctrl::EventType::kNormal);
  EXPECT_THAT(events[1].note, HasSubstr(a_.kid()));
}

TEST_F(KeyChangeTest, APublicationThatAlsoDropsAKeyTellsBothAsTheirOwnEvents) {
  st::KeyChange c;
  c.published = {fresh_.kid()};
  c.dropped = {a_.kid()};
  auto events = st::keyChangeEvents(c, "");
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].reason, "SigningKeyPublished");
  EXPECT_EQ(events[1].reason, "SigningKeysDropped");
  EXPECT_THAT(events[1].note, HasSubstr(a_.kid()));
}

double value(prometheus::Registry& r, const std::string& name, const std::string& change = "") {
  for (const auto& family : r.Collect()) {
    if (family.name != name) continue;
    for (const auto& m : family.metric) {
      bool match = change.empty();
      for (const auto& l : m.label) match = match || (l.name == "change" && l.value == change);
      if (!match) continue;
      return family.type == prometheus::MetricType::Counter ? m.counter.value : m.gauge.value;
    }
  }
  return -1;
}

TEST_F(KeyChangeTest, MetricsCountChangesPerKidAndFollowTheRingInUse) {
  prometheus::Registry registry;
  st::SigningKeyMetrics metrics(registry, std::chrono::hours(24 * 90));
  for (const char* change : {"published", "activated", "revoked", "dropped"}) {
    EXPECT_EQ(value(registry, "servicetoken_signing_key_changes_total", change), 0) << change;
  }
  metrics.observe(state_);
  EXPECT_EQ(value(registry, "servicetoken_signing_keys_published"), 2);
  const double since = std::chrono::duration<double>(clock_.wallNow().time_since_epoch()).count();
  EXPECT_EQ(value(registry, "servicetoken_signing_key_activation_timestamp_seconds"), since);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_rotation_due_timestamp_seconds"),
            since + 90 * 86400);

  clock_.advance(std::chrono::hours(1));
  st::RotationDecision d;
  d.replaceAll = true;
  const st::KeyRingState after = apply(d);
  metrics.changed(st::describeKeyChange(state_, after));
  metrics.observe(after);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_changes_total", "published"), 1);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_changes_total", "activated"), 1);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_changes_total", "revoked"), 2);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_changes_total", "dropped"), 0);
  EXPECT_EQ(value(registry, "servicetoken_signing_keys_published"), 1);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_activation_timestamp_seconds"), since + 3600);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_rotation_due_timestamp_seconds"),
            since + 3600 + 90 * 86400);
}

TEST_F(KeyChangeTest, NoRotationIsDueWhenRotationsHappenOnlyOnRequest) {
  prometheus::Registry registry;
  st::SigningKeyMetrics metrics(registry);  // --signing-key-rotation-interval=0
  metrics.observe(state_);
  EXPECT_GT(value(registry, "servicetoken_signing_key_activation_timestamp_seconds"), 0);
  EXPECT_EQ(value(registry, "servicetoken_signing_key_rotation_due_timestamp_seconds"), 0);
}

}  // namespace
