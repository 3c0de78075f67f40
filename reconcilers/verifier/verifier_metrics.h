// The verifier's Prometheus series:
//   servicetoken_verifier_decisions_total{interface,result,reason}
//   servicetoken_verifier_decision_duration_seconds{interface} (histogram)
//   servicetoken_verifier_verified_tokens (gauge: verified-token cache entries)
// `interface` is forward_auth or token_review; result and reason as in
// decision.h. Every series exists from the start (at zero).
#pragma once

#include <array>
#include <chrono>
#include <cstddef>

#include "verifier/decision.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
class Registry;
}  // namespace prometheus

namespace st::verifier {

enum class Interface { kForwardAuth, kTokenReview };

class VerifierMetrics {
 public:
  explicit VerifierMetrics(prometheus::Registry& registry);

  // Counts one decision and its duration. Thread-safe.
  void record(Interface interface, Reason reason, std::chrono::nanoseconds duration);
  void setVerifiedTokens(size_t n);

 private:
  static constexpr size_t kInterfaces = 2;
  static constexpr size_t kReasons = std::size(kAllReasons);
  std::array<std::array<prometheus::Counter*, kReasons>, kInterfaces> decisions_{};
  std::array<prometheus::Histogram*, kInterfaces> durations_{};
  prometheus::Gauge* verifiedTokens_ = nullptr;
};

}  // namespace st::verifier
