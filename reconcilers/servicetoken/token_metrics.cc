#include "servicetoken/token_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>
#include <mutex>

#include "policy/issue_policy.h"

namespace st {

struct TokenMetrics::Impl {
  prometheus::Family<prometheus::Gauge>& expiration;
  prometheus::Family<prometheus::Gauge>& renewal;
  prometheus::Family<prometheus::Gauge>& ready;
  prometheus::Family<prometheus::Counter>& mints;
  prometheus::Family<prometheus::Counter>& rotations;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& guardRefusals;
  prometheus::Family<prometheus::Counter>& adoptionRefusals;
  std::mutex mu;
};

namespace {

double seconds(ctrl::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

void setOrRemove(prometheus::Family<prometheus::Gauge>& family,
                 const std::map<std::string, std::string>& labels,
                 std::optional<ctrl::WallTime> t) {
  if (t) {
    family.Add(labels).Set(seconds(*t));
  } else if (family.Has(labels)) {
    family.Remove(&family.Add(labels));
  }
}

}  // namespace

TokenMetrics::TokenMetrics(prometheus::Registry& r)
    : impl_(new Impl{
          prometheus::BuildGauge()
              .Name("servicetoken_expiration_timestamp_seconds")
              .Help("When the current token of a ServiceToken expires (Unix seconds)")
              .Register(r),
          prometheus::BuildGauge()
              .Name("servicetoken_renewal_timestamp_seconds")
              .Help("When the current token of a ServiceToken is due for rotation (Unix seconds)")
              .Register(r),
          prometheus::BuildGauge()
              .Name("servicetoken_ready_status")
              .Help("1 when the ServiceToken is Ready, 0 otherwise")
              .Register(r),
          prometheus::BuildCounter()
              .Name("servicetoken_mint_total")
              .Help("Tokens minted and stored, by trigger reason")
              .Register(r),
          prometheus::BuildCounter()
              .Name("servicetoken_rotation_total")
              .Help("Tokens replaced by a rotation")
              .Register(r),
          prometheus::BuildCounter()
              .Name("servicetoken_errors_total")
              .Help("Failed attempts to mint or store a token, by reason")
              .Register(r),
          prometheus::BuildCounter()
              .Name("servicetoken_mint_rate_guard_refusals_total")
              .Help("Mints the mint-rate guard refused (a token minted too often without a human "
                    "asking)")
              .Register(r),
          prometheus::BuildCounter()
              .Name("servicetoken_adoption_refusals_total")
              .Help("Secrets carrying the operator's labels whose token was not verifiably minted "
                    "by this operator for that ServiceToken")
              .Register(r),
          {}}) {
  // Every counter exists from the start at 0, for every reason (as
  // controller-runtime does for its results): rate() and dashboards see a
  // series before the first event, and an alert can tell "none" from "not
  // exported". The reasons run from kInitial to kSigningKeyRetired, the last one.
  for (int i = 0; i <= static_cast<int>(TriggerReason::kSigningKeyRetired); ++i) {
    const std::string reason = triggerReasonName(static_cast<TriggerReason>(i));
    impl_->mints.Add({{"reason", reason}});
    impl_->errors.Add({{"reason", reason}});
  }
  impl_->rotations.Add({});
  impl_->guardRefusals.Add({});
  impl_->adoptionRefusals.Add({});
}

TokenMetrics::~TokenMetrics() = default;

void TokenMetrics::observe(const std::string& ns, const std::string& name,
                           std::optional<ctrl::WallTime> expiresAt,
                           std::optional<ctrl::WallTime> renewsAt, bool ready) {
  std::lock_guard lock(impl_->mu);
  const std::map<std::string, std::string> labels{{"namespace", ns}, {"name", name}};
  setOrRemove(impl_->expiration, labels, expiresAt);
  setOrRemove(impl_->renewal, labels, renewsAt);
  impl_->ready.Add(labels).Set(ready ? 1 : 0);
}

void TokenMetrics::forget(const std::string& ns, const std::string& name) {
  std::lock_guard lock(impl_->mu);
  const std::map<std::string, std::string> labels{{"namespace", ns}, {"name", name}};
  for (auto* family : {&impl_->expiration, &impl_->renewal, &impl_->ready}) {
    if (family->Has(labels)) family->Remove(&family->Add(labels));
  }
}

void TokenMetrics::minted(const std::string& reason) {
  impl_->mints.Add({{"reason", reason}}).Increment();
}
void TokenMetrics::guardRefused() { impl_->guardRefusals.Add({}).Increment(); }
void TokenMetrics::adoptionRefused() { impl_->adoptionRefusals.Add({}).Increment(); }
void TokenMetrics::rotated() { impl_->rotations.Add({}).Increment(); }
void TokenMetrics::error(const std::string& reason) {
  impl_->errors.Add({{"reason", reason}}).Increment();
}

}  // namespace st
