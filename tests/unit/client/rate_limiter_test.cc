// The token bucket on a FakeClock (burst, then spacing at 1/qps; refill;
// blocking wait and its cancellation), and the client's use of it.
#include "controller/rate_limiter.h"

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <nlohmann/json.hpp>
#include <stop_token>

#include "client_test_util.h"
#include "fake_clock.h"

namespace sttest {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(TokenBucketTest, BurstThenSpacedAtOneOverQps) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, /*qps=*/10, /*burst=*/3);
  EXPECT_EQ(bucket.reserve(), ctrl::Duration::zero());
  EXPECT_EQ(bucket.reserve(), ctrl::Duration::zero());
  EXPECT_EQ(bucket.reserve(), ctrl::Duration::zero());
  EXPECT_EQ(bucket.reserve(), milliseconds(100));
  EXPECT_EQ(bucket.reserve(), milliseconds(200));
  // Paid back after 0.2 s, then refilled to the burst (never beyond it).
  clock.advance(seconds(10));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(bucket.reserve(), ctrl::Duration::zero());
  EXPECT_EQ(bucket.reserve(), milliseconds(100));
}

TEST(TokenBucketTest, RefillsAtQps) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 10, 2);
  EXPECT_TRUE(bucket.tryTake());
  EXPECT_TRUE(bucket.tryTake());
  EXPECT_FALSE(bucket.tryTake());
  clock.advance(milliseconds(99));
  EXPECT_FALSE(bucket.tryTake());
  clock.advance(milliseconds(1));
  EXPECT_TRUE(bucket.tryTake());
  EXPECT_FALSE(bucket.tryTake());
}

TEST(TokenBucketTest, ZeroQpsDisablesLimiting) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 0, 0);
  EXPECT_FALSE(bucket.limited());
  for (int i = 0; i < 1000; ++i) {
    ASSERT_TRUE(bucket.tryTake());
    ASSERT_EQ(bucket.reserve(), ctrl::Duration::zero());
  }
  EXPECT_TRUE(bucket.wait());
}

TEST(TokenBucketTest, BurstBelowOneIsOne) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 1, 0);
  EXPECT_TRUE(bucket.tryTake());
  EXPECT_FALSE(bucket.tryTake());
}

TEST(TokenBucketTest, WaitBlocksUntilTheClockReachesTheReservation) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 1, 1);
  ASSERT_TRUE(bucket.tryTake());
  const ctrl::MonoTime start = clock.now();
  auto waited = std::async(std::launch::async, [&] {
    bool ok = bucket.wait();
    return std::make_pair(ok, clock.now());
  });
  // Time moves only here, so the waiter cannot return before this advance.
  clock.advance(seconds(1));
  ASSERT_EQ(waited.wait_for(seconds(10)), std::future_status::ready);
  auto [ok, at] = waited.get();
  EXPECT_TRUE(ok);
  EXPECT_GE(at, start + seconds(1));
}

TEST(TokenBucketTest, WaitReturnsFalseWhenStopped) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 1, 1);
  ASSERT_TRUE(bucket.tryTake());
  std::stop_source stop;
  auto waited = std::async(std::launch::async, [&] { return bucket.wait(stop.get_token()); });
  stop.request_stop();
  ASSERT_EQ(waited.wait_for(seconds(10)), std::future_status::ready);
  EXPECT_FALSE(waited.get());
}

TEST(TokenBucketTest, WaitWithStopAlreadyRequestedReturnsFalse) {
  FakeClock clock;
  ctrl::TokenBucket bucket(clock, 1, 1);
  ASSERT_TRUE(bucket.tryTake());
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(bucket.wait(stop.get_token()));
}

TEST(ClientRateLimitTest, RequestsBeyondTheBurstAreSpacedOnTheClock) {
  JumpClock clock;
  ctrl::RestConfig config;
  config.qps = 2;
  config.burst = 2;
  auto tc = makeTestClient(clock, config);
  for (int i = 0; i < 4; ++i) {
    tc.fake->pushResponse(200, R"({"kind":"ConfigMap"})");
    ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  }
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 4u);
  EXPECT_EQ(requests[0].at, clock.start());
  EXPECT_EQ(requests[1].at, clock.start());
  EXPECT_EQ(requests[2].at, clock.start() + milliseconds(500));
  EXPECT_EQ(requests[3].at, clock.start() + milliseconds(1000));
}

TEST(ClientRateLimitTest, ZeroQpsSendsWithoutWaiting) {
  JumpClock clock;
  auto tc = makeTestClient(clock);  // qps = 0
  for (int i = 0; i < 50; ++i) {
    tc.fake->pushResponse(200, R"({"kind":"ConfigMap"})");
    ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  }
  EXPECT_EQ(tc.fake->requests().back().at, clock.start());
}

}  // namespace
}  // namespace sttest
