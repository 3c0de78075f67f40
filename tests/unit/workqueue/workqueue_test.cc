// Dedup, one-worker-per-key and shutdown behaviour of WorkQueue.
#include "controller/workqueue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "fake_clock.h"

namespace {

using namespace std::chrono_literals;

class WorkQueueTest : public ::testing::Test {
 protected:
  sttest::FakeClock clock_;
  ctrl::WorkQueue queue_{ctrl::WorkQueueOptions{.name = "", .clock = &clock_, .rateLimiter = {}}};
};

TEST_F(WorkQueueTest, KeyAddedManyTimesBeforeProcessingIsHandedOutOnce) {
  queue_.add("ns/a");
  queue_.add("ns/b");
  queue_.add("ns/a");
  queue_.add("ns/a");
  EXPECT_EQ(queue_.len(), 2u);
  EXPECT_EQ(queue_.get(), "ns/a");
  EXPECT_EQ(queue_.get(), "ns/b");
  EXPECT_EQ(queue_.len(), 0u);
}

TEST_F(WorkQueueTest, KeyReAddedWhileProcessingIsQueuedOnceAfterDone) {
  queue_.add("ns/a");
  ASSERT_EQ(queue_.get(), "ns/a");
  queue_.add("ns/a");
  queue_.add("ns/a");
  // Not handed out while in flight: only the other key is available.
  EXPECT_EQ(queue_.len(), 0u);
  queue_.add("ns/b");
  EXPECT_EQ(queue_.get(), "ns/b");
  queue_.done("ns/b");

  queue_.done("ns/a");
  EXPECT_EQ(queue_.len(), 1u);
  EXPECT_EQ(queue_.get(), "ns/a");
  queue_.done("ns/a");
  EXPECT_EQ(queue_.len(), 0u);
}

TEST_F(WorkQueueTest, DoneWithoutReAddDoesNotRequeue) {
  queue_.add("ns/a");
  ASSERT_EQ(queue_.get(), "ns/a");
  queue_.done("ns/a");
  EXPECT_EQ(queue_.len(), 0u);
}

TEST_F(WorkQueueTest, SameKeyIsNeverProcessedByTwoWorkersAtOnce) {
  const std::vector<std::string> keys{"ns/a", "ns/b", "ns/c"};
  std::map<std::string, std::atomic<int>> inFlight;
  for (const auto& key : keys) inFlight[key] = 0;
  inFlight["ns/last"] = 0;
  std::atomic<int> overlaps{0};
  std::atomic<int> processed{0};
  std::atomic<bool> sawLast{false};

  std::vector<std::jthread> workers;
  for (int i = 0; i < 8; ++i) {
    workers.emplace_back([&] {
      while (auto key = queue_.get()) {
        if (inFlight.at(*key).fetch_add(1) != 0) overlaps.fetch_add(1);
        // Stay in flight for a while so other workers get the chance to
        // (wrongly) pick the same key.
        for (int spin = 0; spin < 100; ++spin) std::this_thread::yield();
        inFlight.at(*key).fetch_sub(1);
        processed.fetch_add(1);
        if (*key == "ns/last") {
          sawLast = true;
          sawLast.notify_all();
        }
        queue_.done(*key);
      }
    });
  }
  for (int round = 0; round < 3000; ++round) {
    queue_.add(keys[static_cast<size_t>(round) % keys.size()]);
    if (round % 10 == 0) std::this_thread::yield();
  }
  // FIFO: once the last key added has been taken, so has every earlier one.
  queue_.add("ns/last");
  sawLast.wait(false);
  queue_.shutDownWithDrain();
  workers.clear();  // joins

  EXPECT_EQ(overlaps.load(), 0);
  EXPECT_GE(processed.load(), 4);
}

TEST_F(WorkQueueTest, ShutDownWakesBlockedGet) {
  std::optional<std::string> result = "unset";
  std::jthread worker([&] { result = queue_.get(); });
  queue_.shutDown();
  worker.join();
  EXPECT_EQ(result, std::nullopt);
  EXPECT_TRUE(queue_.shuttingDown());
}

TEST_F(WorkQueueTest, StopTokenWakesBlockedGet) {
  std::stop_source stop;
  std::optional<std::string> result = "unset";
  std::jthread worker([&] { result = queue_.get(stop.get_token()); });
  stop.request_stop();
  worker.join();
  EXPECT_EQ(result, std::nullopt);
  EXPECT_FALSE(queue_.shuttingDown());
}

TEST_F(WorkQueueTest, GetReturnsNothingAfterStopEvenWithKeysQueued) {
  queue_.add("ns/a");
  std::stop_source stop;
  stop.request_stop();
  EXPECT_EQ(queue_.get(stop.get_token()), std::nullopt);
  EXPECT_EQ(queue_.get(), "ns/a");
}

TEST_F(WorkQueueTest, AfterShutDownAddsAreIgnoredAndGetReturnsNothing) {
  queue_.add("ns/a");
  queue_.shutDown();
  queue_.add("ns/b");
  queue_.addAfter("ns/c", 1s);
  EXPECT_EQ(queue_.len(), 1u);  // only the key queued before
  EXPECT_EQ(queue_.get(), std::nullopt);
}

TEST_F(WorkQueueTest, ShutDownWithDrainWaitsForKeysInFlight) {
  queue_.add("ns/a");
  ASSERT_EQ(queue_.get(), "ns/a");
  std::atomic<bool> drained{false};
  std::jthread closer([&] {
    queue_.shutDownWithDrain();
    drained = true;
  });
  // Once shutting down, the closer is waiting for "ns/a", which is in flight.
  while (!queue_.shuttingDown()) std::this_thread::yield();
  EXPECT_FALSE(drained.load());
  queue_.done("ns/a");
  closer.join();
  EXPECT_TRUE(drained.load());
}

}  // namespace
