// A manually advanced Clock for tests: time moves only when advance() is
// called, and waiters whose deadline has been reached are woken promptly.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>

#include "controller/clock.h"

namespace sttest {

class FakeClock final : public ctrl::Clock {
 public:
  FakeClock()
      : mono_(ctrl::MonoTime{} + std::chrono::hours(24 * 365)),
        wall_(std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}) {}

  ctrl::MonoTime now() const override {
    std::lock_guard lock(mu_);
    return mono_;
  }
  ctrl::WallTime wallNow() const override {
    std::lock_guard lock(mu_);
    return wall_;
  }

  // Moves both clocks forward by `d` and wakes every waiter so it re-checks
  // its deadline.
  void advance(ctrl::Duration d) {
    {
      std::lock_guard lock(mu_);
      mono_ += d;
      wall_ += std::chrono::duration_cast<ctrl::WallTime::duration>(d);
    }
    generation_.fetch_add(1);
    generation_.notify_all();
  }

  void setWall(ctrl::WallTime t) {
    std::lock_guard lock(mu_);
    wall_ = t;
  }

  // Number of advance() calls so far; lets tests wait until work scheduled
  // before an advance has observed it.
  uint64_t generation() const { return generation_.load(); }

 protected:
  // Time only moves in advance(); the waiter cannot be notified through the
  // caller's condition variable without risking lost wake-ups, so it re-checks
  // on a short real-time period (this bounds latency, it does not decide
  // behaviour: deadlines are judged by fake time only).
  void waitFor(std::unique_lock<std::mutex>& lock, std::condition_variable& cv,
               ctrl::MonoTime /*deadline*/) override {
    cv.wait_for(lock, std::chrono::milliseconds(2));
  }

 private:
  mutable std::mutex mu_;
  ctrl::MonoTime mono_;
  ctrl::WallTime wall_;
  std::atomic<uint64_t> generation_{0};
};

}  // namespace sttest
