#include "controller/signals.h"

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <csignal>
#include <mutex>

namespace {

// Waits (bounded) until `token` is stopped.
bool waitStopped(std::stop_token token) {
  std::mutex mu;
  std::condition_variable cv;
  bool stopped = false;
  std::stop_callback callback(token, [&] {
    std::lock_guard lock(mu);
    stopped = true;
    cv.notify_all();
  });
  std::unique_lock lock(mu);
  return cv.wait_for(lock, std::chrono::seconds(20), [&] { return stopped; });
}

TEST(SignalsTest, SigtermRequestsStop) {
  std::stop_source source = ctrl::installSignalHandlers();
  EXPECT_FALSE(source.stop_requested());
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(waitStopped(source.get_token()));
}

TEST(SignalsTest, SigintRequestsStopAndReinstallingRearms) {
  std::stop_source first = ctrl::installSignalHandlers();
  ASSERT_EQ(std::raise(SIGINT), 0);
  ASSERT_TRUE(waitStopped(first.get_token()));
  // A fresh source, and the count starts over: this signal does not exit.
  std::stop_source second = ctrl::installSignalHandlers();
  EXPECT_FALSE(second.stop_requested());
  ASSERT_EQ(std::raise(SIGTERM), 0);
  EXPECT_TRUE(waitStopped(second.get_token()));
}

TEST(SignalsDeathTest, SecondSignalExitsAtOnce) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        std::stop_source source = ctrl::installSignalHandlers();
        std::raise(SIGTERM);
        std::raise(SIGTERM);
        std::abort();  // not reached: the second signal exits with 1
      },
      ::testing::ExitedWithCode(1), "");
}

}  // namespace
