// Rate limiters for the work queue: they decide how long a failed item waits
// before it is retried. Not to be confused with the client-side request
// limiter (rate_limiter.h), which paces API calls.
//
// The default, like controller-runtime's, is the maximum of a per-item
// exponential backoff (5 ms doubling up to 1000 s) and an overall token bucket
// (10 qps, burst 100) that bounds the retry rate across all items.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controller/clock.h"

namespace ctrl {

class RateLimiter {
 public:
  virtual ~RateLimiter() = default;
  // Records one more retry of `item` and returns how long it should wait
  // before being processed again. Thread-safe.
  virtual Duration when(const std::string& item) = 0;
  // Stops tracking `item`: its backoff starts over at the next failure.
  // Thread-safe.
  virtual void forget(const std::string& item) = 0;
  // Returns how many times `item` has been retried since it was last
  // forgotten. Thread-safe.
  virtual int numRequeues(const std::string& item) const = 0;
};

// Per-item backoff: base * 2^failures, capped at `max`. Preconditions:
// 0 < base <= max.
std::unique_ptr<RateLimiter> newItemExponentialRateLimiter(Duration base, Duration max);

// An overall token bucket shared by all items: `burst` retries go through at
// once, then `qps` per second; when() reserves a token and returns the wait
// until it is available (waits queue up, they are never refused); built on
// ctrl::TokenBucket::reserve() (rate_limiter.h). Does not
// track items: forget() does nothing and numRequeues() returns 0.
// Preconditions: qps > 0, burst >= 1; `clock` outlives the limiter.
std::unique_ptr<RateLimiter> newBucketRateLimiter(double qps, int burst, Clock& clock);

// Asks every limiter and returns the longest wait; forget() goes to all of
// them and numRequeues() is the maximum. Preconditions: `limiters` non-empty.
std::unique_ptr<RateLimiter> newMaxOfRateLimiter(
    std::vector<std::unique_ptr<RateLimiter>> limiters);

// controller-runtime's default: max(exponential 5 ms .. 1000 s, bucket 10 qps
// burst 100). `clock` must outlive the limiter.
std::unique_ptr<RateLimiter> newDefaultControllerRateLimiter(Clock& clock);

}  // namespace ctrl
