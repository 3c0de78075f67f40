#include "controller/clock.h"

#include <gtest/gtest.h>

namespace {

using namespace std::chrono_literals;

// The skew moves wall time only: timeouts, backoff and scheduling (monotonic
// time) stay real. Bounds, not equality: both clocks run while we read them.
TEST(SkewedClock, WallTimeIsAheadByTheSkewAndMonotonicTimeIsReal) {
  ctrl::SkewedClock skewed(std::chrono::hours(24 * 90));
  ctrl::RealClock& real = ctrl::RealClock::instance();

  const ctrl::WallTime before = real.wallNow();
  const ctrl::WallTime ahead = skewed.wallNow();
  const ctrl::WallTime after = real.wallNow();
  EXPECT_GE(ahead, before + std::chrono::hours(24 * 90));
  EXPECT_LE(ahead, after + std::chrono::hours(24 * 90));

  const ctrl::MonoTime monoBefore = real.now();
  const ctrl::MonoTime mono = skewed.now();
  EXPECT_GE(mono, monoBefore);
  EXPECT_LT(mono - monoBefore, 1h) << "the monotonic clock was skewed too";
}

TEST(SkewedClock, WaitsEndAtTheirRealDeadline) {
  ctrl::SkewedClock skewed(std::chrono::hours(24));
  std::mutex mu;
  std::condition_variable cv;
  std::unique_lock lock(mu);
  const ctrl::MonoTime deadline = skewed.now() + 20ms;
  EXPECT_FALSE(skewed.waitUntil(lock, cv, deadline, [] { return false; }));
  EXPECT_GE(skewed.now(), deadline);
}

}  // namespace
