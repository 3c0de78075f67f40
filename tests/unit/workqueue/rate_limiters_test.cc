#include "controller/rate_limiters.h"

#include <gtest/gtest.h>

#include "fake_clock.h"

namespace {

using namespace std::chrono_literals;
using ctrl::Duration;

TEST(ItemExponentialRateLimiterTest, DoublesPerFailureFromBase) {
  auto limiter = ctrl::newItemExponentialRateLimiter(5ms, 1000s);
  EXPECT_EQ(limiter->when("a"), Duration(5ms));
  EXPECT_EQ(limiter->when("a"), Duration(10ms));
  EXPECT_EQ(limiter->when("a"), Duration(20ms));
  EXPECT_EQ(limiter->when("a"), Duration(40ms));
  EXPECT_EQ(limiter->numRequeues("a"), 4);
  // Items are tracked separately.
  EXPECT_EQ(limiter->when("b"), Duration(5ms));
  EXPECT_EQ(limiter->numRequeues("b"), 1);
}

TEST(ItemExponentialRateLimiterTest, CapsAtMaxAndNeverOverflows) {
  auto limiter = ctrl::newItemExponentialRateLimiter(5ms, 1000s);
  // 5 ms * 2^17 = 655 s, 2^18 = 1310 s > cap.
  for (int i = 0; i < 17; ++i) limiter->when("a");
  EXPECT_EQ(limiter->when("a"), Duration(655360ms));
  EXPECT_EQ(limiter->when("a"), Duration(1000s));
  for (int i = 0; i < 200; ++i) ASSERT_EQ(limiter->when("a"), Duration(1000s));
}

TEST(ItemExponentialRateLimiterTest, ForgetResetsBackoff) {
  auto limiter = ctrl::newItemExponentialRateLimiter(5ms, 1000s);
  limiter->when("a");
  limiter->when("a");
  limiter->forget("a");
  EXPECT_EQ(limiter->numRequeues("a"), 0);
  EXPECT_EQ(limiter->when("a"), Duration(5ms));
}

TEST(BucketRateLimiterTest, AllowsBurstThenPacesAtQps) {
  sttest::FakeClock clock;
  auto limiter = ctrl::newBucketRateLimiter(10, 100, clock);
  for (int i = 0; i < 100; ++i) ASSERT_EQ(limiter->when("x"), Duration::zero()) << i;
  // Tokens are reserved in the future, 100 ms apart at 10 qps.
  EXPECT_EQ(limiter->when("x"), Duration(100ms));
  EXPECT_EQ(limiter->when("y"), Duration(200ms));
  EXPECT_EQ(limiter->when("z"), Duration(300ms));
  // One second refills 10 tokens; 3 are owed, so 7 go through at once.
  clock.advance(1s);
  for (int i = 0; i < 7; ++i) ASSERT_EQ(limiter->when("x"), Duration::zero()) << i;
  EXPECT_EQ(limiter->when("x"), Duration(100ms));
  EXPECT_EQ(limiter->numRequeues("x"), 0);
}

TEST(BucketRateLimiterTest, RefillStopsAtBurst) {
  sttest::FakeClock clock;
  auto limiter = ctrl::newBucketRateLimiter(10, 2, clock);
  clock.advance(1h);
  EXPECT_EQ(limiter->when("x"), Duration::zero());
  EXPECT_EQ(limiter->when("x"), Duration::zero());
  EXPECT_EQ(limiter->when("x"), Duration(100ms));
}

TEST(DefaultControllerRateLimiterTest, TakesTheLongerOfBackoffAndBucket) {
  sttest::FakeClock clock;
  auto limiter = ctrl::newDefaultControllerRateLimiter(clock);
  EXPECT_EQ(limiter->when("a"), Duration(5ms));
  EXPECT_EQ(limiter->when("a"), Duration(10ms));
  EXPECT_EQ(limiter->numRequeues("a"), 2);
  // Exhaust the bucket (2 tokens used above) with distinct items, each on its
  // first failure (5 ms backoff).
  for (int i = 0; i < 98; ++i) ASSERT_EQ(limiter->when("item" + std::to_string(i)), Duration(5ms));
  // The bucket now dominates the 5 ms per-item backoff.
  EXPECT_EQ(limiter->when("fresh"), Duration(100ms));
  limiter->forget("a");
  EXPECT_EQ(limiter->numRequeues("a"), 0);
}

TEST(MaxOfRateLimiterTest, AsksEveryLimiter) {
  std::vector<std::unique_ptr<ctrl::RateLimiter>> limiters;
  limiters.push_back(ctrl::newItemExponentialRateLimiter(1ms, 1s));
  limiters.push_back(ctrl::newItemExponentialRateLimiter(3ms, 1s));
  auto limiter = ctrl::newMaxOfRateLimiter(std::move(limiters));
  EXPECT_EQ(limiter->when("a"), Duration(3ms));
  EXPECT_EQ(limiter->when("a"), Duration(6ms));
  EXPECT_EQ(limiter->numRequeues("a"), 2);
  limiter->forget("a");
  EXPECT_EQ(limiter->when("a"), Duration(3ms));
}

}  // namespace
