// Time behind an injectable seam: production code asks a Clock, tests drive a
// FakeClock (tests/support/fake_clock.h) and never sleep.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace ctrl {

using Duration = std::chrono::steady_clock::duration;
using MonoTime = std::chrono::steady_clock::time_point;
using WallTime = std::chrono::system_clock::time_point;

class Clock {
 public:
  virtual ~Clock() = default;
  // Monotonic time: for timeouts, backoff and scheduling.
  virtual MonoTime now() const = 0;
  // Wall-clock time: for timestamps written to the API (issuedAt, renewTime).
  virtual WallTime wallNow() const = 0;

  // Blocks on `cv` (with `lock` held) until `pred()` is true or `deadline`
  // (monotonic, this clock's time) passes. Returns pred(). A fake clock wakes
  // waiters when it is advanced, so scheduled work runs without real sleeps.
  // Thread-safe.
  template <typename Pred>
  bool waitUntil(std::unique_lock<std::mutex>& lock, std::condition_variable& cv, MonoTime deadline,
                 Pred pred) {
    while (!pred()) {
      if (now() >= deadline) return pred();
      waitFor(lock, cv, deadline);
    }
    return true;
  }

 protected:
  // Waits on `cv` until notified, the deadline passes, or (fake clocks) time
  // is advanced. Spurious returns are allowed.
  virtual void waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
                       MonoTime deadline) = 0;
};

// The real clock. Stateless; one shared instance is enough.
class RealClock : public Clock {
 public:
  MonoTime now() const override { return std::chrono::steady_clock::now(); }
  WallTime wallNow() const override { return std::chrono::system_clock::now(); }
  static RealClock& instance();

 protected:
  void waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               MonoTime deadline) override {
    cv.wait_until(lock, deadline);
  }
};

// The real clock with wall time `skew` ahead (monotonic time untouched).
// For benchmarks only: hack/bench-convergence.sh starts the operator with a
// hidden --clock-skew so 10,000 tokens minted a minute ago are due for
// renewal now (a rotation storm), with real timeouts and scheduling.
class SkewedClock final : public RealClock {
 public:
  explicit SkewedClock(Duration skew) : skew_(skew) {}
  WallTime wallNow() const override {
    return RealClock::wallNow() +
           std::chrono::duration_cast<std::chrono::system_clock::duration>(skew_);
  }

 private:
  const Duration skew_;
};

}  // namespace ctrl
