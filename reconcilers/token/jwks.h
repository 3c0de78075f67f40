// A JSON Web Key Set (RFC 7517 §5): the public keys a consumer needs to
// verify tokens offline. The operator publishes it in the ConfigMap
// `servicetoken-jwks` under `jwks.json`; verifiers pick a key by `kid`.
//
// Jwks is an immutable value; all const methods are thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "controller/json.h"
#include "controller/status.h"
#include "token/public_key.h"

namespace st {

class Jwks {
 public:
  static constexpr size_t kMaxBytes = 64 * 1024;
  static constexpr size_t kMaxKeys = 64;

  Jwks() = default;

  // A set of `keys` in the given order. Errors: InvalidArgument for a
  // duplicate kid or more than kMaxKeys keys.
  static ctrl::StatusOr<Jwks> fromKeys(std::vector<PublicKey> keys);

  // Parses a JWKS document {"keys":[...]}, at most kMaxBytes and kMaxKeys.
  // Keys of unsupported types (e.g. RSA) are skipped, as RFC 7517 asks;
  // malformed supported keys and duplicate kids are errors.
  // Errors: InvalidArgument (the message never quotes the document).
  static ctrl::StatusOr<Jwks> parse(std::string_view json);

  // The key with this kid, or nullptr.
  const PublicKey* find(std::string_view kid) const;
  const std::vector<PublicKey>& keys() const { return keys_; }

  // {"keys":[<PublicKey::toJwk()>...]}.
  ctrl::Json toJson() const;
  // toJson() serialised: the content of `jwks.json`.
  std::string toString() const;

 private:
  explicit Jwks(std::vector<PublicKey> keys) : keys_(std::move(keys)) {}
  std::vector<PublicKey> keys_;
};

}  // namespace st
