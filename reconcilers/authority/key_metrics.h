// The signing keys' Prometheus series: what the ring holds now and what
// rotations changed. Kids are never labels (they change with every
// rotation); no key material ever appears.
//   servicetoken_signing_keys_published               gauge: keys in the JWKS
//   servicetoken_signing_key_activation_timestamp_seconds
//                                                     gauge: when the active key began signing
//   servicetoken_signing_key_rotation_due_timestamp_seconds
//                                                     gauge: when the next scheduled rotation
//                                                     is due (0: none is scheduled)
//   servicetoken_signing_key_changes_total{change}    counter: published, activated, revoked,
//                                                     dropped
#pragma once

#include <memory>

#include "authority/key_change.h"
#include "authority/key_ring_record.h"
#include "controller/clock.h"

namespace prometheus {
class Registry;
}

namespace st {

class SigningKeyMetrics {
 public:
  // Registers the families in `registry`. `rotationInterval` is
  // --signing-key-rotation-interval (zero: rotations only on request).
  explicit SigningKeyMetrics(prometheus::Registry& registry,
                             ctrl::Duration rotationInterval = ctrl::Duration::zero());
  ~SigningKeyMetrics();
  SigningKeyMetrics(const SigningKeyMetrics&) = delete;
  SigningKeyMetrics& operator=(const SigningKeyMetrics&) = delete;

  // Sets the gauges from the ring in use. Thread-safe.
  void observe(const KeyRingState& state);
  // Counts one write's changes, one per kid. Thread-safe.
  void changed(const KeyChange& change);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace st
