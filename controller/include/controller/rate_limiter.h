// A token bucket on an injected Clock: `burst` tokens at most, refilled at
// `qps` per second. Used for the client-side request rate limit and usable for
// any other overall limit (e.g. a workqueue's bucket). Tests drive it with a
// FakeClock and never sleep.
#pragma once

#include <condition_variable>
#include <mutex>
#include <stop_token>

#include "controller/clock.h"

namespace ctrl {

class TokenBucket {
 public:
  // `clock` must outlive the bucket. qps <= 0 disables limiting (every call
  // succeeds at once); burst < 1 is treated as 1. The bucket starts full.
  TokenBucket(Clock& clock, double qps, int burst);
  TokenBucket(const TokenBucket&) = delete;
  TokenBucket& operator=(const TokenBucket&) = delete;

  // Takes a token now, borrowing from the future when the bucket is empty, and
  // returns how long the caller must wait before acting (zero when a token was
  // available). Reservations queue up: the n-th caller past the burst waits
  // n/qps. Thread-safe.
  Duration reserve();

  // Takes a token only if one is available now. Returns whether it did.
  // Thread-safe.
  bool tryTake();

  // reserve(), then blocks on the clock until the reservation is due. Returns
  // true when the caller may act, false when `stop` was requested first (the
  // token stays spent). Thread-safe.
  bool wait(std::stop_token stop = {});

  bool limited() const { return qps_ > 0; }

 private:
  // Adds the tokens earned since last_. Requires mu_ held.
  void refillLocked(MonoTime now);

  Clock& clock_;
  const double qps_;
  const double burst_;
  std::mutex mu_;
  std::condition_variable cv_;
  double tokens_;  // may go negative: outstanding reservations
  MonoTime last_;
};

}  // namespace ctrl
