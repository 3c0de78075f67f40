// Acquiring a Lease: create when absent, respect a live holder, take over only
// after the holder's lease expired as measured by OUR clock.
#include <gtest/gtest.h>

#include "controller/metrics.h"
#include "elector_harness.h"

namespace sttest {
namespace {

std::string metricLine(const std::string& lease) {
  const std::string text = ctrl::renderMetrics(*ctrl::metricsRegistry());
  const std::string prefix = "leader_election_master_status{name=\"" + lease + "\"} ";
  auto pos = text.find(prefix);
  if (pos == std::string::npos) return "<absent>";
  return text.substr(pos + prefix.size(), text.find('\n', pos) - pos - prefix.size());
}

TEST_F(ElectorTest, AcquiresAbsentLease) {
  CallbackLog log;
  const std::string now = wallText();
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return log.startedCount() == 1; }));
  EXPECT_TRUE(a->isLeader());

  auto l = lease();
  ASSERT_TRUE(l.has_value());
  EXPECT_EQ((*l)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*l)["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ((*l)["spec"]["leaseTransitions"], 0);
  EXPECT_EQ((*l)["spec"]["acquireTime"], now);
  EXPECT_EQ((*l)["spec"]["renewTime"], now);
  EXPECT_EQ(log.newLeaders(), std::vector<std::string>{"a"});
  EXPECT_EQ(a->observedLeader(), "a");
  EXPECT_EQ(metricLine(leaseName_), "1");

  EXPECT_TRUE(a->stop().isOk());
  EXPECT_EQ(log.stoppedCount(), 1);
  EXPECT_FALSE(a->isLeader());
  EXPECT_EQ(metricLine(leaseName_), "0");
}

TEST_F(ElectorTest, LosesCreateRaceAndWaitsForTheWinner) {
  // Another candidate creates the lease between our GET (NotFound) and CREATE.
  setHook([this](std::string_view verb) {
    if (verb == "create") putForeignLease("other", wallText(), 0);
    return ctrl::Status::ok();
  });
  CallbackLog log;
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return !callTimes("create").empty(); }));
  setHook(nullptr);
  for (int i = 0; i < 3; ++i) step();
  ASSERT_TRUE(eventually([&] { return log.newLeaders() == std::vector<std::string>{"other"}; }));

  EXPECT_FALSE(a->isLeader());
  EXPECT_EQ(holder(), "other");
  EXPECT_EQ(log.startedCount(), 0);
  EXPECT_TRUE(callTimes("update").empty()) << "a live lease must not be written";
  EXPECT_TRUE(a->stop().isOk());
  EXPECT_EQ(log.stoppedCount(), 0) << "never led, so never stopped leading";
}

// The other holder's renewTime is ancient or in the future by our wall clock:
// either way only the time since WE saw the record change counts.
class ForeignClockTest : public ElectorTest, public ::testing::WithParamInterface<int> {};

TEST_P(ForeignClockTest, TakesOverOnlyAfterLeaseDurationOnOurClock) {
  putForeignLease("other", ctrl::formatMicroTime(clock_.wallNow() + std::chrono::hours(GetParam())),
                  3);
  const ctrl::MonoTime t0 = clock_.now();
  const std::string expiry = wallText(15s);
  CallbackLog log;
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return !callTimes("get").empty(); }));

  for (int i = 0; i < 20; ++i) {
    // isLeader() first: the elector writes the lease before it leads, so
    // reading holder() second cannot miss a takeover that happened between
    // the two reads (the other order failed under TSan's scheduling).
    const bool leading = a->isLeader();
    if (holder() == "a") break;
    EXPECT_FALSE(leading) << "leading without holding the lease";
    step();
  }
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));

  auto updates = callTimes("update");
  ASSERT_FALSE(updates.empty());
  EXPECT_GE(updates.front(), t0 + 15s) << "took a lease that was live by our clock";
  auto l = lease();
  EXPECT_GE((*l)["spec"]["acquireTime"].get<std::string>(), expiry);
  EXPECT_EQ((*l)["spec"]["holderIdentity"], "a");
  EXPECT_EQ((*l)["spec"]["leaseTransitions"], 4) << "a takeover is a transition";
  EXPECT_EQ(log.newLeaders(), (std::vector<std::string>{"other", "a"}));
  EXPECT_TRUE(a->stop().isOk());
}

INSTANTIATE_TEST_SUITE_P(PastAndFuture, ForeignClockTest, ::testing::Values(-24 * 365 * 20, 24));

TEST_F(ElectorTest, HoldersRenewalRestartsOurExpiryTimer) {
  putForeignLease("other", "2000-01-01T00:00:00.000000Z", 0);
  CallbackLog log;
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return !callTimes("get").empty(); }));
  for (int i = 0; i < 4; ++i) step();  // 8 s: still live

  // The holder renews: the record changes, so the 15 s start again from when
  // we see it (renewTime itself is deliberately nonsense by our clock).
  putForeignLease("other", "2000-01-01T00:00:08.000000Z", 0);
  const ctrl::MonoTime renewed = clock_.now();
  for (int i = 0; i < 20 && holder() != "a"; ++i) step();
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));

  auto updates = callTimes("update");
  ASSERT_FALSE(updates.empty());
  EXPECT_GE(updates.front(), renewed + 15s);
  EXPECT_EQ((*lease())["spec"]["leaseTransitions"], 1);
  EXPECT_TRUE(a->stop().isOk());
}

TEST_F(ElectorTest, LosesUpdateRaceOnConflict) {
  putForeignLease("other", "2000-01-01T00:00:00.000000Z", 0);
  CallbackLog log;
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return !callTimes("get").empty(); }));
  // When we try to take the expired lease, its holder renews first: our
  // update carries a stale resourceVersion and must fail.
  std::atomic<bool> raced{false};
  setHook([&](std::string_view verb) {
    if (verb == "update" && !raced.exchange(true)) putForeignLease("other", wallText(), 0);
    return ctrl::Status::ok();
  });
  for (int i = 0; i < 12 && !raced; ++i) step();
  ASSERT_TRUE(raced);
  step();  // the next attempt sees the renewed record: live again for 15 s
  step();

  EXPECT_FALSE(a->isLeader());
  EXPECT_EQ(holder(), "other");
  EXPECT_EQ(callTimes("update").size(), 1U);
  EXPECT_EQ(log.startedCount(), 0);
  EXPECT_TRUE(a->stop().isOk());
}

}  // namespace
}  // namespace sttest
