// The overall retry bucket: a ctrl::TokenBucket used by reservation, so the
// queue is told how long to wait for a token and schedules the key instead of
// blocking.
#include <cassert>

#include "controller/rate_limiter.h"
#include "controller/rate_limiters.h"

namespace ctrl {
namespace {

class BucketRateLimiter final : public RateLimiter {
 public:
  BucketRateLimiter(double qps, int burst, Clock& clock) : bucket_(clock, qps, burst) {
    assert(qps > 0 && burst >= 1);
  }

  Duration when(const std::string& /*item*/) override { return bucket_.reserve(); }
  void forget(const std::string& /*item*/) override {}
  int numRequeues(const std::string& /*item*/) const override { return 0; }

 private:
  TokenBucket bucket_;
};

}  // namespace

std::unique_ptr<RateLimiter> newBucketRateLimiter(double qps, int burst, Clock& clock) {
  return std::make_unique<BucketRateLimiter>(qps, burst, clock);
}

}  // namespace ctrl
