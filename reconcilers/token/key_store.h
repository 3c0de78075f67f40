// The token authority's signing keys and their storage format in the
// signing-key Secret of the operator's namespace. Pure functions: the lead's
// bootstrap code does the I/O (create-if-absent of the Secret, publishing
// the JWKS ConfigMap) with ctrl::Client.
//
// Secret data (values are the plain bytes, before the API's base64):
//   active-kid   the kid that signs new tokens
//   <kid>.pem    one PKCS#8 PEM private key per kid (kid = RFC 7638
//                thumbprint, base64url, so it is a valid data key)
// Other data keys are ignored here; `ring.json` holds the keys' history
// (authority/key_ring_record.h).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "controller/status.h"
#include "token/jwks.h"
#include "token/public_key.h"
#include "token/secret_string.h"
#include "token/signing_key.h"

namespace st {

// Secret data: key -> value (plain bytes).
using SecretData = std::map<std::string, SecretString>;

inline constexpr std::string_view kActiveKidKey = "active-kid";
inline constexpr std::string_view kPemKeySuffix = ".pem";

// A non-empty set of signing keys, one of which signs new tokens. The others
// still verify tokens they signed. Immutable value; thread-safe.
class SigningKeyRing {
 public:
  static constexpr size_t kMaxKeys = 16;

  // One freshly generated key of `alg`, active. Errors: Internal.
  static ctrl::StatusOr<SigningKeyRing> generate(KeyAlgorithm alg);

  // The ring keeps its keys sorted by kid (a stable JWKS document).
  // Errors: InvalidArgument when `keys` is empty, has more than kMaxKeys,
  // duplicate kids, or no key with `activeKid`.
  static ctrl::StatusOr<SigningKeyRing> create(std::vector<SigningKey> keys, std::string activeKid);

  // Reads the Secret data written by toSecretData(). Errors: InvalidArgument
  // naming the data key at fault (never its value): no or unknown active-kid,
  // malformed PEM, a PEM whose thumbprint differs from its data key, too many
  // keys or a value larger than SigningKey::kMaxPemBytes.
  static ctrl::StatusOr<SigningKeyRing> fromSecretData(const SecretData& data);

  // The Secret data for this ring. Errors: Internal (PEM encoding).
  ctrl::StatusOr<SecretData> toSecretData() const;

  const SigningKey& active() const;
  const std::vector<SigningKey>& keys() const { return keys_; }

  // The public keys of all keys in the ring, in kid order, for `jwks.json`.
  Jwks jwks() const;

 private:
  SigningKeyRing(std::vector<SigningKey> keys, size_t active)
      : keys_(std::move(keys)), active_(active) {}

  std::vector<SigningKey> keys_;
  size_t active_;
};

}  // namespace st
