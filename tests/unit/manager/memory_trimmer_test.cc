// MemoryTrimmer: trims the heap on its interval only when enough of it is
// free, and stops promptly. Driven by the fake clock with a fake heap.
#include "controller/memory_trimmer.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "fake_clock.h"
#include "mocks/eventually.h"

namespace {

using namespace std::chrono_literals;

TEST(MemoryTrimmerTest, ShouldTrimFromTheThresholdOn) {
  ctrl::MemoryTrimmerOptions o;
  o.minFreeBytes = 1000;
  EXPECT_FALSE(ctrl::shouldTrimHeap(0, o));
  EXPECT_FALSE(ctrl::shouldTrimHeap(999, o));
  EXPECT_TRUE(ctrl::shouldTrimHeap(1000, o));
  EXPECT_TRUE(ctrl::shouldTrimHeap(size_t{1} << 40, o));
}

struct FakeHeap {
  std::atomic<size_t> free{0};
  std::atomic<int> checks{0};
  std::atomic<int> trims{0};
};

class MemoryTrimmerRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ctrl::MemoryTrimmerOptions o;
    o.interval = 10s;
    o.minFreeBytes = 8 << 20;
    trimmer_ = std::make_unique<ctrl::MemoryTrimmer>(
        clock_, o,
        [this] {
          const size_t f = heap_.free.load();
          heap_.checks.fetch_add(1);
          return f;
        },
        [this] {
          heap_.trims.fetch_add(1);
          heap_.free.store(0);  // what malloc_trim does to free pages
        });
    thread_ = std::jthread([this](std::stop_token stop) { status_ = trimmer_->start(stop); });
  }
  void TearDown() override {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    EXPECT_TRUE(status_.isOk());
  }
  // Advances the clock an interval at a time until `n` checks happened.
  bool checksReach(int n) {
    return sttest::eventually([&] {
      if (heap_.checks.load() >= n) return true;
      clock_.advance(10s);
      return false;
    });
  }

  sttest::FakeClock clock_;
  FakeHeap heap_;
  std::unique_ptr<ctrl::MemoryTrimmer> trimmer_;
  ctrl::Status status_;
  std::jthread thread_;
};

TEST_F(MemoryTrimmerRunTest, LittleFreeMemoryIsNotTrimmed) {
  heap_.free = 1 << 20;
  ASSERT_TRUE(checksReach(3));
  EXPECT_EQ(heap_.trims.load(), 0);
  EXPECT_EQ(trimmer_->trims(), 0);
}

TEST_F(MemoryTrimmerRunTest, AFreedBurstIsTrimmedOnce) {
  heap_.free = 1 << 20;
  ASSERT_TRUE(checksReach(1));
  heap_.free = 64 << 20;  // a burst is over
  const int before = heap_.checks.load();
  ASSERT_TRUE(checksReach(before + 3));
  EXPECT_EQ(heap_.trims.load(), 1) << "trimmed again with nothing free";
  EXPECT_TRUE(sttest::eventually([&] { return trimmer_->trims() == 1; }));
}

TEST_F(MemoryTrimmerRunTest, StopsWithoutTimePassing) {
  thread_.request_stop();
  thread_.join();  // would hang if the trimmer waited for its interval
  EXPECT_TRUE(status_.isOk());
}

}  // namespace
