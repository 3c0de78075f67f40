#include "controller/rate_limiter.h"

#include <algorithm>
#include <chrono>

namespace ctrl {

TokenBucket::TokenBucket(Clock& clock, double qps, int burst)
    : clock_(clock), qps_(qps), burst_(std::max(1, burst)), tokens_(burst_), last_(clock.now()) {}

void TokenBucket::refillLocked(MonoTime now) {
  if (now <= last_) return;
  const double elapsed = std::chrono::duration<double>(now - last_).count();
  tokens_ = std::min(burst_, tokens_ + elapsed * qps_);
  last_ = now;
}

Duration TokenBucket::reserve() {
  if (qps_ <= 0) return Duration::zero();
  std::lock_guard lock(mu_);
  refillLocked(clock_.now());
  tokens_ -= 1;
  if (tokens_ >= 0) return Duration::zero();
  return std::chrono::ceil<Duration>(std::chrono::duration<double>(-tokens_ / qps_));
}

bool TokenBucket::tryTake() {
  if (qps_ <= 0) return true;
  std::lock_guard lock(mu_);
  refillLocked(clock_.now());
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

bool TokenBucket::wait(std::stop_token stop) {
  const Duration delay = reserve();
  if (delay <= Duration::zero()) return !stop.stop_requested();
  const MonoTime deadline = clock_.now() + delay;
  // Wake the waiter when stop is requested; taking the mutex before notifying
  // avoids a lost wake-up between its predicate check and its wait. Registered
  // before locking: the callback runs inline when stop is already requested.
  std::stop_callback onStop(stop, [this] {
    std::lock_guard inner(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  clock_.waitUntil(lock, cv_, deadline,
                   [&] { return stop.stop_requested() || clock_.now() >= deadline; });
  return !stop.stop_requested();
}

}  // namespace ctrl
