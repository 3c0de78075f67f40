#include "authority/key_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <chrono>

#include "authority/key_rotation_policy.h"

namespace st {

struct SigningKeyMetrics::Impl {
  prometheus::Gauge& published;
  prometheus::Gauge& activation;
  prometheus::Gauge& rotationDue;
  prometheus::Family<prometheus::Counter>& changes;
  ctrl::Duration rotationInterval;
};

namespace {

prometheus::Gauge& gauge(prometheus::Registry& r, const char* name, const char* help) {
  return prometheus::BuildGauge().Name(name).Help(help).Register(r).Add({});
}

}  // namespace

SigningKeyMetrics::SigningKeyMetrics(prometheus::Registry& r, ctrl::Duration rotationInterval)
    : impl_(new Impl{
          gauge(r, "servicetoken_signing_keys_published",
                "Signing keys in the published JWKS (the active one, a next one, retired ones "
                "stored tokens still need)"),
          gauge(r, "servicetoken_signing_key_activation_timestamp_seconds",
                "When the active signing key began signing (Unix seconds)"),
          gauge(r, "servicetoken_signing_key_rotation_due_timestamp_seconds",
                "When the next scheduled signing-key rotation is due (Unix seconds; 0 when "
                "rotations happen only on request)"),
          prometheus::BuildCounter()
              .Name("servicetoken_signing_key_changes_total")
              .Help("Signing keys published, activated, revoked (retire-old) and dropped")
              .Register(r),
          rotationInterval}) {
  for (const char* change : {"published", "activated", "revoked", "dropped"}) {
    impl_->changes.Add({{"change", change}});  // every series exported from the start
  }
}

SigningKeyMetrics::~SigningKeyMetrics() = default;

void SigningKeyMetrics::observe(const KeyRingState& state) {
  impl_->published.Set(static_cast<double>(state.ring.keys().size()));
  const std::string& kid = state.ring.active().kid();
  auto it = state.record.keys.find(kid);
  if (it == state.record.keys.end() || !it->second.activated) return;
  const auto seconds = [](ctrl::WallTime t) {
    return std::chrono::duration<double>(t.time_since_epoch()).count();
  };
  impl_->activation.Set(seconds(*it->second.activated));
  // The rotator's own rule for when the schedule is due (0 stays: none is).
  const auto due =
      scheduledRotationAt(state.record, kid, impl_->rotationInterval, *it->second.activated);
  if (due) impl_->rotationDue.Set(seconds(*due));
}

void SigningKeyMetrics::changed(const KeyChange& change) {
  impl_->changes.Add({{"change", "published"}}).Increment(double(change.published.size()));
  impl_->changes.Add({{"change", "activated"}}).Increment(change.activated.empty() ? 0 : 1);
  impl_->changes.Add({{"change", "revoked"}}).Increment(double(change.revoked.size()));
  impl_->changes.Add({{"change", "dropped"}}).Increment(double(change.dropped.size()));
}

}  // namespace st
