#include "authority/key_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>

namespace st {

struct SigningKeyMetrics::Impl {
  prometheus::Gauge& published;
  prometheus::Gauge& activation;
  prometheus::Family<prometheus::Counter>& changes;
};

namespace {

prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

SigningKeyMetrics::SigningKeyMetrics(prometheus::Registry& r)
    : impl_(new Impl{
          gauge(r, "servicetoken_signing_keys_published",
                "Signing keys in the published JWKS (the active one, a next one, retired ones "
                "stored tokens still need)"),
          gauge(r, "servicetoken_signing_key_activation_timestamp_seconds",
                "When the active signing key began signing (Unix seconds)"),
          prometheus::BuildCounter()
              .Name("servicetoken_signing_key_changes_total")
              .Help("Signing keys published, activated, revoked (retire-old) and dropped")
              .Register(r)}) {
  for (const char* change : {"published", "activated", "revoked", "dropped"}) {
    impl_->changes.Add({{"change", change}});  // every series exported from the start
  }
}

SigningKeyMetrics::~SigningKeyMetrics() = default;

void SigningKeyMetrics::observe(const KeyRingState& state) {
  impl_->published.Set(static_cast<double>(state.ring.keys().size()));
  auto it = state.record.keys.find(state.ring.active().kid());
  if (it != state.record.keys.end() && it->second.activated) {
    impl_->activation.Set(
        std::chrono::duration<double>(it->second.activated->time_since_epoch()).count());
  }
}

void SigningKeyMetrics::changed(const KeyChange& change) {
  impl_->changes.Add({{"change", "published"}}).Increment(double(change.published.size()));
  impl_->changes.Add({{"change", "activated"}}).Increment(change.activated.empty() ? 0 : 1);
  impl_->changes.Add({{"change", "revoked"}}).Increment(double(change.revoked.size()));
  impl_->changes.Add({{"change", "dropped"}}).Increment(double(change.dropped.size()));
}

}  // namespace st
