// Holding a Lease: renewals, losing it after renewDeadline without a
// successful renewal (even while a request hangs), being overtaken, and
// releasing it on a graceful stop.
#include <gtest/gtest.h>

#include "elector_harness.h"

namespace sttest {
namespace {

ctrl::Status unavailable(std::string_view) {
  return ctrl::Status(ctrl::Code::kUnavailable, "connection refused");
}

TEST_F(ElectorTest, RenewsEveryRetryPeriod) {
  CallbackLog log;
  const std::string acquired = wallText();
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));

  for (int i = 1; i <= 10; ++i) {  // 20 s: longer than the lease itself
    step();
    const std::string now = wallText();
    ASSERT_TRUE(eventually([&] { return (*lease())["spec"]["renewTime"] == now; }))
        << "no renewal at step " << i;
    EXPECT_TRUE(a->isLeader());
  }
  auto l = lease();
  EXPECT_EQ((*l)["spec"]["acquireTime"], acquired);
  EXPECT_EQ((*l)["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(log.startedCount(), 1);
  EXPECT_EQ(log.stoppedCount(), 0);
  EXPECT_TRUE(a->stop().isOk());
}

TEST_F(ElectorTest, StopsLeadingAfterRenewDeadlineOfFailures) {
  CallbackLog log;
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  setHook(unavailable);

  for (int i = 1; i <= 4; ++i) {  // failures at 2, 4, 6, 8 s: within the deadline
    step();
    EXPECT_TRUE(a->isLeader()) << "at " << 2 * i << " s";
  }
  EXPECT_EQ(log.stoppedCount(), 0);
  step();  // 10 s: renewDeadline without a successful renewal
  ASSERT_TRUE(eventually([&] { return log.stoppedCount() == 1; }));
  EXPECT_FALSE(a->isLeader());
  EXPECT_EQ(log.stoppedAt, t0 + 10s);

  ctrl::Status result = a->result();
  EXPECT_EQ(result.code(), ctrl::Code::kUnavailable) << result.toString();
  EXPECT_EQ(log.stoppedCount(), 1);
  EXPECT_EQ(log.startedCount(), 1);
}

TEST_F(ElectorTest, HungRenewalStillStopsLeadingAtTheDeadline) {
  CallbackLog log;
  Gate gate;
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", &log));
  Gate::OpenOnExit unblock{gate};  // even when an assertion fails
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  setHook([&](std::string_view verb) {
    if (verb == "update") gate.wait();
    return ctrl::Status::ok();
  });

  step();  // 2 s: the renewal request hangs
  clock_.advance(7s);
  EXPECT_TRUE(a->isLeader()) << "9 s: still within the deadline";
  clock_.advance(1s);
  EXPECT_FALSE(a->isLeader()) << "10 s: must not claim leadership any more";
  ASSERT_TRUE(eventually([&] { return log.stoppedCount() == 1; }))
      << "the watchdog must not wait for the hung request";
  EXPECT_EQ(log.stoppedAt, t0 + 10s);
  EXPECT_FALSE(a->finished());

  setHook(nullptr);
  gate.open();
  ctrl::Status result = a->result();
  EXPECT_EQ(result.code(), ctrl::Code::kUnavailable) << result.toString();
  EXPECT_EQ(log.stoppedCount(), 1);
}

TEST_F(ElectorTest, OvertakenLeaderStopsAtOnce) {
  CallbackLog log;
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  putForeignLease("intruder", wallText(), 5);  // e.g. someone edited the Lease by hand

  step();
  ASSERT_TRUE(eventually([&] { return log.stoppedCount() == 1; }));
  EXPECT_EQ(log.stoppedAt, t0 + 2s) << "no need to wait for the renew deadline";
  EXPECT_EQ(a->result().code(), ctrl::Code::kUnavailable);
  EXPECT_EQ(holder(), "intruder") << "a lease we do not hold is not released";
}

TEST_F(ElectorTest, ReleasesLeaseOnStop) {
  CallbackLog log;
  auto a = start(config("a", &log));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  step();
  std::vector<std::string> sequenceAtRelease;
  setHook([&](std::string_view verb) {
    if (verb == "update") {
      std::lock_guard lock(log.mu);
      sequenceAtRelease = log.sequence;
    }
    return ctrl::Status::ok();
  });
  const std::string now = wallText();

  EXPECT_TRUE(a->stop().isOk());
  auto l = lease();
  EXPECT_EQ((*l)["spec"]["holderIdentity"], "");
  EXPECT_EQ((*l)["spec"]["leaseDurationSeconds"], 1);
  EXPECT_EQ((*l)["spec"]["renewTime"], now);
  EXPECT_EQ((*l)["spec"]["leaseTransitions"], 0);
  EXPECT_EQ(sequenceAtRelease, (std::vector<std::string>{"started", "stopped"}))
      << "leader-only work is stopped before the lease is handed over";
  EXPECT_EQ(log.stoppedCount(), 1);
}

TEST_F(ElectorTest, KeepsLeaseOnStopWithoutRelease) {
  CallbackLog log;
  auto c = config("a", &log);
  c.releaseOnCancel = false;
  auto a = start(std::move(c));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  EXPECT_TRUE(a->stop().isOk());
  EXPECT_EQ(holder(), "a");
  EXPECT_EQ((*lease())["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(log.stoppedCount(), 1);
}

TEST_F(ElectorTest, StandbyTakesOverReleasedLeaseBeforeItWouldExpire) {
  CallbackLog logA;
  CallbackLog logB;
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", &logA));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  auto b = start(config("b", &logB));
  ASSERT_TRUE(eventually([&] { return logB.newLeaders() == std::vector<std::string>{"a"}; }));

  step();
  EXPECT_FALSE(a->isLeader() && b->isLeader());
  EXPECT_TRUE(a->stop().isOk());
  for (int i = 0; i < 5 && holder() != "b"; ++i) {
    step();
    EXPECT_FALSE(a->isLeader() && b->isLeader());
  }
  ASSERT_TRUE(eventually([&] { return b->isLeader(); }));
  EXPECT_LT(clock_.now(), t0 + 15s) << "a released lease is taken without waiting for expiry";
  EXPECT_FALSE(a->isLeader());
  EXPECT_EQ((*lease())["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(logB.newLeaders(), (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(b->stop().isOk());
}

}  // namespace
}  // namespace sttest
