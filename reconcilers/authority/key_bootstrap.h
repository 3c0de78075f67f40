// Start-up I/O of the token authority: the signing-key Secret and the public
// JWKS ConfigMap in the operator's namespace.
//
// Safe with several replicas starting at once: the key Secret is created with
// create-if-absent (the API server's compare-and-swap on the name); a replica
// that loses the race reads the winner's keys, so all end with one key.
#pragma once

#include <string>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/status.h"
#include "token/key_store.h"

namespace st {

struct KeyBootstrapOptions {
  std::string ns;
  std::string secretName = "servicetoken-signing-keys";
  std::string jwksConfigMap = "servicetoken-jwks";
  KeyAlgorithm algorithm = KeyAlgorithm::kEd25519;
};

// The signing-key Secret's data, base64-decoded. Errors: InvalidArgument
// (no data, a value that is not base64), naming the data key, never a value.
ctrl::StatusOr<SecretData> keySecretData(const ctrl::Json& secret);

// Reads the key ring from its Secret, creating the Secret with a new key when
// absent (with its history, ring.json: created and activated at `now`;
// the epoch means the system clock's now). Errors: Forbidden/Unavailable from the API;
// InvalidArgument when the Secret exists but holds no usable key (it is never overwritten).
ctrl::StatusOr<SigningKeyRing> loadOrCreateSigningKeys(ctrl::Client& client,
                                                       const KeyBootstrapOptions& options,
                                                       ctrl::WallTime now = {});

// Creates or updates the ConfigMap (key jwks.json) with the ring's public
// keys; writes nothing when it is already current.
ctrl::Status publishJwks(ctrl::Client& client, const KeyBootstrapOptions& options,
                         const SigningKeyRing& keys);

}  // namespace st
