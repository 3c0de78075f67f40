// Leadership as a write fence: open exactly while leading, each grant lasting
// until the earliest instant another candidate could take the lease over,
// grants in flight revoked the moment leadership ends, and the lease released
// only once no write sent as leader can still be running.
#include <gtest/gtest.h>

#include <atomic>

#include "elector_harness.h"

namespace sttest {
namespace {

ctrl::Status unavailable(std::string_view) {
  return ctrl::Status(ctrl::Code::kUnavailable, "connection refused");
}

TEST_F(ElectorTest, FenceIsOpenExactlyWhileLeading) {
  putForeignLease("b", wallText(), 0);  // held by another candidate
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", nullptr));
  ASSERT_TRUE(eventually([&] { return callAtOrAfter(t0); }));
  EXPECT_FALSE(a->fence().mayWrite());
  EXPECT_FALSE(a->fence().admit().has_value()) << "a candidate must not write";

  for (int i = 0; i < 8; ++i) step();  // 16 s: b's lease expired; a took it at 16 s
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  const ctrl::MonoTime acquired = t0 + 16s;
  EXPECT_TRUE(a->fence().mayWrite());
  auto grant = a->fence().admit();
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->deadline, acquired + 15s) << "the lease's duration from the acquiring attempt";
  a->fence().finish();

  step();  // renewed at +2 s: grants now last 15 s from there
  ASSERT_TRUE(eventually([&] { return (*lease())["spec"]["renewTime"] == wallText(); }));
  grant = a->fence().admit();
  ASSERT_TRUE(grant.has_value());
  EXPECT_EQ(grant->deadline, acquired + 17s);
  a->fence().finish();

  setHook(unavailable);
  for (int i = 0; i < 4; ++i) step();  // failed renewals at +4..+10 s
  clock_.advance(1s);                  // +11 s: 9 s after the last renewal
  EXPECT_TRUE(a->fence().mayWrite());
  clock_.advance(1s);  // +12 s: renewDeadline after the last renewal
  EXPECT_FALSE(a->fence().mayWrite());
  EXPECT_FALSE(a->fence().admit().has_value());
  EXPECT_EQ(a->result().code(), ctrl::Code::kUnavailable);
  EXPECT_FALSE(a->fence().admit().has_value()) << "not after the elector returned either";
}

TEST_F(ElectorTest, WritesInFlightAreRevokedWhenLeadershipEnds) {
  auto a = start(config("a", nullptr));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  auto grant = a->fence().admit();
  ASSERT_TRUE(grant.has_value());
  EXPECT_FALSE(grant->revoked.stop_requested());
  setHook(unavailable);
  for (int i = 0; i < 4; ++i) step();
  EXPECT_FALSE(grant->revoked.stop_requested()) << "8 s: still leading";
  clock_.advance(2s);  // 10 s: the renew deadline
  ASSERT_TRUE(eventually([&] { return grant->revoked.stop_requested(); }))
      << "a write in flight must be abandoned when leadership ends";
  a->fence().finish();
  EXPECT_EQ(a->result().code(), ctrl::Code::kUnavailable);
}

TEST_F(ElectorTest, LeaseIsReleasedOnlyAfterTheWritesInFlight) {
  auto a = start(config("a", nullptr));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  auto grant = a->fence().admit();
  ASSERT_TRUE(grant.has_value());
  std::atomic<bool> writeEnded{false};
  std::atomic<bool> releasedDuringWrite{false};
  setHook([&](std::string_view verb) {
    if (verb == "update" && !writeEnded) releasedDuringWrite = true;
    return ctrl::Status::ok();
  });

  a->requestStop();
  ASSERT_TRUE(eventually([&] { return grant->revoked.stop_requested(); }));
  // The revoked write takes a moment to end (its connection is closing).
  writeEnded = true;
  a->fence().finish();
  EXPECT_TRUE(a->result().isOk());
  EXPECT_FALSE(releasedDuringWrite) << "a standby could have taken over while we still wrote";
  EXPECT_EQ(holder(), "") << "released after the write ended";
}

TEST_F(ElectorTest, AWriteThatNeverEndsDelaysTheReleaseOnlyUntilItsGrantRunsOut) {
  const ctrl::MonoTime t0 = clock_.now();
  auto a = start(config("a", nullptr));
  ASSERT_TRUE(eventually([&] { return a->isLeader(); }));
  auto grant = a->fence().admit();  // never finished
  ASSERT_TRUE(grant.has_value());
  a->requestStop();
  ASSERT_TRUE(eventually([&] { return grant->revoked.stop_requested(); }));
  clock_.advance(14s);
  EXPECT_EQ(holder(), "a") << "14 s: the write may still run; the lease must stay ours";
  EXPECT_FALSE(a->finished());
  clock_.advance(1s);  // t0 + 15 s: the grant has run out
  EXPECT_TRUE(a->result().isOk());
  EXPECT_EQ(clock_.now(), t0 + 15s);
}

}  // namespace
}  // namespace sttest
