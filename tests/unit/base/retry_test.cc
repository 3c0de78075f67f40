#include "controller/retry.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

using namespace std::chrono_literals;
using ctrl::Code;
using ctrl::Duration;
using ctrl::Status;

// A clock whose waits jump straight to their deadline: a retry loop runs
// single-threaded and deterministically, and now() tells how long it waited.
class JumpClock final : public ctrl::Clock {
 public:
  ctrl::MonoTime now() const override { return now_; }
  ctrl::WallTime wallNow() const override { return ctrl::WallTime{} + (now_ - ctrl::MonoTime{}); }

 protected:
  void waitFor(std::unique_lock<std::mutex>&, std::condition_variable&,
               ctrl::MonoTime deadline) override {
    if (deadline > now_) now_ = deadline;
  }

 private:
  ctrl::MonoTime now_{};
};

struct Recorded {
  std::vector<Duration> delays;
  std::function<void(const Status&, Duration)> hook() {
    return [this](const Status&, Duration d) { delays.push_back(d); };
  }
};

TEST(Retry, TransientCodesAreThoseThatHealByThemselves) {
  EXPECT_TRUE(ctrl::isTransient(Code::kTooManyRequests));
  EXPECT_TRUE(ctrl::isTransient(Code::kUnavailable));
  EXPECT_TRUE(ctrl::isTransient(Code::kTimeout));
  for (Code c : {Code::kOk, Code::kForbidden, Code::kInvalid, Code::kNotFound, Code::kConflict,
                 Code::kUnauthorized, Code::kCancelled, Code::kInternal, Code::kFenced}) {
    EXPECT_FALSE(ctrl::isTransient(c)) << ctrl::codeName(c);
  }
}

TEST(Retry, TransientErrorsAreRetriedWithDoublingDelaysUntilSuccess) {
  JumpClock clock;
  Recorded rec;
  int attempts = 0;
  Status s = ctrl::retryTransient(
      clock, {}, {},
      [&] { return ++attempts < 4 ? Status(Code::kUnavailable, "503") : Status::ok(); },
      rec.hook());
  EXPECT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(attempts, 4);
  EXPECT_EQ(rec.delays, (std::vector<Duration>{500ms, 1s, 2s}));
  EXPECT_EQ(clock.now() - ctrl::MonoTime{}, 3500ms) << "it waited what it announced";
}

TEST(Retry, APermanentErrorReturnsAtOnce) {
  JumpClock clock;
  Recorded rec;
  int attempts = 0;
  Status s = ctrl::retryTransient(
      clock, {}, {},
      [&] {
        ++attempts;
        return Status(Code::kForbidden, "forbidden");
      },
      rec.hook());
  EXPECT_EQ(s.code(), Code::kForbidden);
  EXPECT_EQ(attempts, 1);
  EXPECT_TRUE(rec.delays.empty());
}

TEST(Retry, GivesUpWithTheLastErrorOnceTheBudgetIsSpent) {
  JumpClock clock;
  Recorded rec;
  int attempts = 0;
  // Attempts at 0, 1, 3, 7 and 15 s; the next would start at 23 s, past 20 s.
  Status s = ctrl::retryTransient(
      clock, {}, {.initialDelay = 1s, .maxDelay = 8s, .giveUpAfter = 20s},
      [&] { return Status(Code::kTooManyRequests, "attempt " + std::to_string(++attempts)); },
      rec.hook());
  EXPECT_EQ(s.code(), Code::kTooManyRequests);
  EXPECT_EQ(s.message(), "attempt 5");
  EXPECT_EQ(rec.delays, (std::vector<Duration>{1s, 2s, 4s, 8s}));
}

TEST(Retry, AStopEndsTheWaitWithCancelled) {
  JumpClock clock;
  std::stop_source stop;
  int attempts = 0;
  Status s = ctrl::retryTransient(
      clock, stop.get_token(), {},
      [&] {
        ++attempts;
        return Status(Code::kTimeout, "timed out");
      },
      [&](const Status&, Duration) { stop.request_stop(); });
  EXPECT_EQ(s.code(), Code::kCancelled);
  EXPECT_EQ(attempts, 1);
  EXPECT_EQ(clock.now(), ctrl::MonoTime{}) << "a stopped wait does not wait";
}

TEST(Retry, SleepForReportsWhetherItWasStopped) {
  JumpClock clock;
  EXPECT_TRUE(ctrl::sleepFor(clock, 5s, {}));
  EXPECT_EQ(clock.now() - ctrl::MonoTime{}, 5s);
  std::stop_source stopped;
  stopped.request_stop();
  EXPECT_FALSE(ctrl::sleepFor(clock, 5s, stopped.get_token()));
  EXPECT_EQ(clock.now() - ctrl::MonoTime{}, 5s);
}

}  // namespace
