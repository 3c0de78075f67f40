#include "servicetoken/token_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <chrono>
#include <map>
#include <mutex>
#include <string_view>
#include <vector>

#include "controller/gauge_table.h"
#include "policy/issue_policy.h"

namespace st {

// The per-token gauges, in one compact table (a registry Family<Gauge>
// costs about 800 bytes a series; these are three series per token).
enum TokenGauge : size_t { kExpiration = 0, kRenewal = 1, kReady = 2 };

struct TokenMetrics::Impl {
  std::shared_ptr<ctrl::GaugeTable> gauges;
  prometheus::Family<prometheus::Counter>& mints;
  prometheus::Family<prometheus::Counter>& rotations;
  prometheus::Family<prometheus::Counter>& errors;
  prometheus::Family<prometheus::Counter>& guardRefusals;
  prometheus::Family<prometheus::Counter>& adoptionRefusals;
};

namespace {

double seconds(ctrl::WallTime t) {
  return std::chrono::duration<double>(t.time_since_epoch()).count();
}

// One table per registry, shared by every TokenMetrics on it, as the
// registry's families were (Merge): two operators in one process (tests)
// export one set of series.
std::shared_ptr<ctrl::GaugeTable> gaugesFor(prometheus::Registry& r) {
  static std::mutex mu;
  static std::map<const prometheus::Registry*, std::weak_ptr<ctrl::GaugeTable>> tables;
  std::lock_guard lock(mu);
  if (auto existing = tables[&r].lock()) return existing;
  auto table = std::make_shared<ctrl::GaugeTable>(
      std::vector<std::string>{"name", "namespace"},
      std::vector<ctrl::GaugeTable::Family>{
          {"servicetoken_expiration_timestamp_seconds",
           "When the current token of a ServiceToken expires (Unix seconds)"},
          {"servicetoken_renewal_timestamp_seconds",
           "When the current token of a ServiceToken is due for rotation (Unix seconds)"},
          {"servicetoken_ready_status", "1 when the ServiceToken is Ready, 0 otherwise"}});
  table->attach(r);
  tables[&r] = table;
  return table;
}

void setOrRemove(ctrl::GaugeTable& table, TokenGauge gauge,
                 const std::vector<std::string_view>& labels, std::optional<ctrl::WallTime> t) {
  if (t) {
    table.set(gauge, labels, seconds(*t));
  } else {
    table.remove(gauge, labels);
  }
}

}  // namespace

TokenMetrics::TokenMetrics(prometheus::Registry& r)
    : impl_(new Impl{
          gaugesFor(r),
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
              .Register(r)}) {
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
  // Label values in label-name order: name, namespace.
  const std::vector<std::string_view> labels{name, ns};
  setOrRemove(*impl_->gauges, kExpiration, labels, expiresAt);
  setOrRemove(*impl_->gauges, kRenewal, labels, renewsAt);
  impl_->gauges->set(kReady, labels, ready ? 1 : 0);
}

void TokenMetrics::forget(const std::string& ns, const std::string& name) {
  impl_->gauges->removeAll({name, ns});
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
