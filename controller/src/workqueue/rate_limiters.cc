// The per-item exponential limiter, the max-of combinator and the default
// controller limiter. The token bucket lives in bucket_rate_limiter.cc.
#include "controller/rate_limiters.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <limits>
#include <mutex>
#include <unordered_map>

namespace ctrl {
namespace {

class ItemExponentialRateLimiter final : public RateLimiter {
 public:
  ItemExponentialRateLimiter(Duration base, Duration max) : base_(base), max_(max) {
    assert(base > Duration::zero() && base <= max);
  }

  Duration when(const std::string& item) override {
    int exponent;
    {
      std::lock_guard lock(mu_);
      exponent = failures_[item]++;
    }
    // Computed in floating point so a long failure streak saturates at max_
    // instead of overflowing.
    const double ticks = static_cast<double>(base_.count()) * std::pow(2.0, exponent);
    if (ticks >= static_cast<double>(max_.count())) return max_;
    return Duration(static_cast<Duration::rep>(ticks));
  }

  void forget(const std::string& item) override {
    std::lock_guard lock(mu_);
    failures_.erase(item);
  }

  int numRequeues(const std::string& item) const override {
    std::lock_guard lock(mu_);
    auto it = failures_.find(item);
    return it == failures_.end() ? 0 : it->second;
  }

 private:
  const Duration base_;
  const Duration max_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, int> failures_;
};

class MaxOfRateLimiter final : public RateLimiter {
 public:
  explicit MaxOfRateLimiter(std::vector<std::unique_ptr<RateLimiter>> limiters)
      : limiters_(std::move(limiters)) {
    assert(!limiters_.empty());
  }

  Duration when(const std::string& item) override {
    // Every limiter is asked (not just until one answers) so each records the
    // retry, as client-go's MaxOfRateLimiter does.
    Duration longest = Duration::zero();
    for (auto& limiter : limiters_) longest = std::max(longest, limiter->when(item));
    return longest;
  }

  void forget(const std::string& item) override {
    for (auto& limiter : limiters_) limiter->forget(item);
  }

  int numRequeues(const std::string& item) const override {
    int most = 0;
    for (const auto& limiter : limiters_) most = std::max(most, limiter->numRequeues(item));
    return most;
  }

 private:
  std::vector<std::unique_ptr<RateLimiter>> limiters_;
};

}  // namespace

std::unique_ptr<RateLimiter> newItemExponentialRateLimiter(Duration base, Duration max) {
  return std::make_unique<ItemExponentialRateLimiter>(base, max);
}

std::unique_ptr<RateLimiter> newMaxOfRateLimiter(
    std::vector<std::unique_ptr<RateLimiter>> limiters) {
  return std::make_unique<MaxOfRateLimiter>(std::move(limiters));
}

std::unique_ptr<RateLimiter> newDefaultControllerRateLimiter(Clock& clock) {
  using namespace std::chrono_literals;
  std::vector<std::unique_ptr<RateLimiter>> limiters;
  limiters.push_back(newItemExponentialRateLimiter(5ms, 1000s));
  limiters.push_back(newBucketRateLimiter(10, 100, clock));
  return newMaxOfRateLimiter(std::move(limiters));
}

}  // namespace ctrl
