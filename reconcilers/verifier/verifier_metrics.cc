#include "verifier/verifier_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

namespace st::verifier {
namespace {

const char* interfaceName(size_t i) { return i == 0 ? "forward_auth" : "token_review"; }

}  // namespace

VerifierMetrics::VerifierMetrics(prometheus::Registry& registry) {
  auto& decisions = prometheus::BuildCounter()
                        .Name("servicetoken_verifier_decisions_total")
                        .Help("Verification decisions by interface, result and reason")
                        .Register(registry);
  auto& durations = prometheus::BuildHistogram()
                        .Name("servicetoken_verifier_decision_duration_seconds")
                        .Help("Time to decide one request, from headers read to answer built")
                        .Register(registry);
  // From 25 µs (a cached token) to 100 ms.
  const prometheus::Histogram::BucketBoundaries buckets{
      0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.1};
  for (size_t i = 0; i < kInterfaces; ++i) {
    for (size_t r = 0; r < kReasons; ++r) {
      const Reason reason = kAllReasons[r];
      decisions_[i][r] = &decisions.Add({{"interface", interfaceName(i)},
                                         {"result", std::string(resultName(resultOf(reason)))},
                                         {"reason", std::string(reasonName(reason))}});
    }
    durations_[i] = &durations.Add({{"interface", interfaceName(i)}}, buckets);
  }
  verifiedTokens_ = &prometheus::BuildGauge()
                         .Name("servicetoken_verifier_verified_tokens")
                         .Help("Entries in the verified-token cache")
                         .Register(registry)
                         .Add({});
}

void VerifierMetrics::record(Interface interface, Reason reason,
                             std::chrono::nanoseconds duration) {
  const auto i = static_cast<size_t>(interface);
  for (size_t r = 0; r < kReasons; ++r) {
    if (kAllReasons[r] == reason) {
      decisions_[i][r]->Increment();
      break;
    }
  }
  durations_[i]->Observe(std::chrono::duration<double>(duration).count());
}

void VerifierMetrics::setVerifiedTokens(size_t n) { verifiedTokens_->Set(static_cast<double>(n)); }

}  // namespace st::verifier
