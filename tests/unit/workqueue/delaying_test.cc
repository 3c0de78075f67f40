// addAfter and addRateLimited, driven by a FakeClock.
//
// To show that a key is NOT ready yet without sleeping, a sentinel key is
// scheduled just before it: the timer thread moves every due key in one step,
// so once the sentinel has been handed out, len() == 0 proves the key was not
// due at that (fake) time.
#include <gtest/gtest.h>

#include <condition_variable>
#include <thread>

#include "controller/workqueue.h"
#include "fake_clock.h"

namespace {

using namespace std::chrono_literals;
using ctrl::Duration;

// get() that gives up after a generous real-time bound instead of hanging
// the test binary when a key never arrives.
std::optional<std::string> getOrGiveUp(ctrl::WorkQueue& queue) {
  std::stop_source giveUp;
  std::jthread watchdog([&](std::stop_token cancelled) {
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    if (!cv.wait_for(lock, cancelled, 20s, [] { return false; })) giveUp.request_stop();
  });
  auto key = queue.get(giveUp.get_token());
  watchdog.request_stop();
  return key;
}

class DelayingTest : public ::testing::Test {
 protected:
  // Asserts that `key` becomes ready exactly `delay` after now: not at
  // delay - 1ms, then at delay.
  void expectReadyAfter(const std::string& key, Duration delay) {
    const std::string sentinel = "sentinel/" + std::to_string(sentinels_++);
    queue_.addAfter(sentinel, delay - 1ms);
    clock_.advance(delay - 1ms);
    ASSERT_EQ(getOrGiveUp(queue_), sentinel);
    queue_.done(sentinel);
    EXPECT_EQ(queue_.len(), 0u) << key << " was ready before " << delay.count() << "ns";
    clock_.advance(1ms);
    ASSERT_EQ(getOrGiveUp(queue_), key);
    queue_.done(key);
  }

  sttest::FakeClock clock_;
  ctrl::WorkQueue queue_{ctrl::WorkQueueOptions{.name = "", .clock = &clock_, .rateLimiter = {}}};
  int sentinels_ = 0;
};

TEST_F(DelayingTest, AddAfterFiresOnlyOnceTheClockPassesTheDelay) {
  queue_.addAfter("ns/a", 10s);
  EXPECT_EQ(queue_.len(), 0u);
  expectReadyAfter("ns/a", 10s);
}

TEST_F(DelayingTest, EarlierAddAfterWins) {
  queue_.addAfter("ns/a", 10s);
  queue_.addAfter("ns/a", 5s);   // earlier: replaces 10s
  queue_.addAfter("ns/a", 20s);  // later: ignored
  expectReadyAfter("ns/a", 5s);

  // Neither the 10 s nor the 20 s schedule survived.
  queue_.addAfter("ns/end", 16s);  // 21 s after the first addAfter
  clock_.advance(16s);
  ASSERT_EQ(getOrGiveUp(queue_), "ns/end");
  EXPECT_EQ(queue_.len(), 0u);
}

TEST_F(DelayingTest, KeysBecomeReadyInDeadlineOrder) {
  queue_.addAfter("ns/late", 3s);
  queue_.addAfter("ns/early", 1s);
  queue_.addAfter("ns/middle", 2s);
  clock_.advance(3s);
  EXPECT_EQ(getOrGiveUp(queue_), "ns/early");
  EXPECT_EQ(getOrGiveUp(queue_), "ns/middle");
  EXPECT_EQ(getOrGiveUp(queue_), "ns/late");
}

TEST_F(DelayingTest, NonPositiveDelayAddsAtOnce) {
  queue_.addAfter("ns/a", Duration::zero());
  queue_.addAfter("ns/b", -1s);
  EXPECT_EQ(queue_.len(), 2u);
}

TEST_F(DelayingTest, DelayedKeyAlreadyQueuedIsDeduplicated) {
  queue_.add("ns/a");
  queue_.addAfter("ns/a", 1s);
  clock_.advance(1s);
  ASSERT_EQ(getOrGiveUp(queue_), "ns/a");
  EXPECT_EQ(queue_.len(), 0u);
}

TEST_F(DelayingTest, AddRateLimitedBacksOffExponentiallyAndForgetResets) {
  queue_.addRateLimited("ns/a");
  EXPECT_EQ(queue_.numRequeues("ns/a"), 1);
  expectReadyAfter("ns/a", 5ms);
  queue_.addRateLimited("ns/a");
  expectReadyAfter("ns/a", 10ms);
  queue_.addRateLimited("ns/a");
  expectReadyAfter("ns/a", 20ms);
  EXPECT_EQ(queue_.numRequeues("ns/a"), 3);

  queue_.forget("ns/a");
  EXPECT_EQ(queue_.numRequeues("ns/a"), 0);
  queue_.addRateLimited("ns/a");
  expectReadyAfter("ns/a", 5ms);
}

// On the real clock (no fake clock's polling to hide a lost wake-up): the
// timer thread sleeping until a key due in an hour is woken by a key due in
// a few milliseconds. Keys due later than its sleep do not wake it at all.
TEST(DelayingRealClockTest, AKeyDueSoonerWakesTheTimerSleepingUntilALaterOne) {
  ctrl::WorkQueue queue{
      ctrl::WorkQueueOptions{.name = "", .clock = &ctrl::RealClock::instance(), .rateLimiter = {}}};
  queue.addAfter("ns/late", std::chrono::hours(1));
  queue.addAfter("ns/later", std::chrono::hours(2));
  queue.addAfter("ns/soon", 5ms);
  EXPECT_EQ(getOrGiveUp(queue), "ns/soon") << "the timer slept through a key due sooner";
  queue.done("ns/soon");
  queue.addAfter("ns/soon-again", 5ms);
  EXPECT_EQ(getOrGiveUp(queue), "ns/soon-again");
  EXPECT_EQ(queue.len(), 0u);
  queue.shutDown();
}

TEST(DelayingCustomLimiterTest, UsesTheInjectedRateLimiter) {
  sttest::FakeClock clock;
  ctrl::WorkQueue queue(ctrl::WorkQueueOptions{
      .name = "", .clock = &clock, .rateLimiter = ctrl::newBucketRateLimiter(1, 1, clock)});
  queue.addRateLimited("ns/a");  // the burst token: no wait
  EXPECT_EQ(queue.len(), 1u);
  ASSERT_EQ(queue.get(), "ns/a");
  queue.done("ns/a");
  queue.addRateLimited("ns/a");  // next token in 1 s
  EXPECT_EQ(queue.len(), 0u);
  clock.advance(1s);
  EXPECT_EQ(getOrGiveUp(queue), "ns/a");
}

}  // namespace
