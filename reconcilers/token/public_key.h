// A public signature key as JOSE sees it: a JWK (RFC 7517) of type OKP/Ed25519
// (RFC 8037) or EC/P-256, its `kid` (the RFC 7638 thumbprint when we made the
// key), and verification of JWS signatures made with it.
//
// PublicKey is an immutable value; copies share the underlying OpenSSL key.
// All const methods are thread-safe.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string>
#include <string_view>

#include "controller/json.h"
#include "controller/status.h"

namespace st {

enum class KeyAlgorithm {
  kEd25519,  // JWS "EdDSA", JWK kty OKP crv Ed25519 (the default)
  kEs256,    // JWS "ES256", JWK kty EC crv P-256, ECDSA with SHA-256
};

// "Ed25519" or "ES256": the name used in configuration.
std::string_view keyAlgorithmName(KeyAlgorithm alg);
// "EdDSA" or "ES256": the JWS `alg` header value.
std::string_view jwsAlgorithm(KeyAlgorithm alg);
// Accepts "Ed25519", "EdDSA" and "ES256". Errors: InvalidArgument.
ctrl::StatusOr<KeyAlgorithm> parseKeyAlgorithm(std::string_view name);

class PublicKey {
 public:
  // Builds a key from its raw JWK coordinates: for Ed25519 `x` is the 32-byte
  // public key and `y` must be empty; for ES256 `x` and `y` are the 32-byte
  // big-endian affine coordinates of a point on P-256. `kid` empty means
  // "use the RFC 7638 thumbprint". Errors: InvalidArgument (wrong lengths,
  // point not on the curve).
  static ctrl::StatusOr<PublicKey> fromCoordinates(KeyAlgorithm alg, std::string_view x,
                                                   std::string_view y, std::string kid = {});

  // Parses one JWK. Requires `kty`/`crv` of a supported type, base64url `x`
  // (and `y` for EC) and a non-empty `kid`; when present, `alg` must match the
  // key type and `use` must be "sig". Private members (`d`) are refused.
  // Errors: InvalidArgument (also for an unsupported kty/crv: see
  // isSupportedJwk).
  static ctrl::StatusOr<PublicKey> fromJwk(const ctrl::Json& jwk);

  // True when `jwk` is an object whose kty/crv this library understands
  // (OKP/Ed25519, EC/P-256). A JWKS consumer skips other keys (RFC 7517 §5).
  static bool isSupportedJwk(const ctrl::Json& jwk);

  // {"kty","crv","x"[,"y"],"kid","alg","use":"sig"}.
  ctrl::Json toJwk() const;

  // RFC 7638 thumbprint: base64url(SHA-256(canonical JWK members)).
  std::string thumbprint() const;

  const std::string& kid() const { return kid_; }
  KeyAlgorithm algorithm() const { return alg_; }

  // Checks a JWS signature over `signingInput`: 64 bytes for both algorithms
  // (ES256 in JOSE raw r||s form). Errors: Unauthorized "invalid signature";
  // Internal when OpenSSL fails for another reason.
  ctrl::Status verify(std::string_view signingInput, std::string_view signature) const;

 private:
  PublicKey(KeyAlgorithm alg, std::string x, std::string y, std::shared_ptr<EVP_PKEY> key,
            std::string kid);

  KeyAlgorithm alg_;
  std::string x_;  // raw bytes
  std::string y_;  // raw bytes; empty for Ed25519
  std::shared_ptr<EVP_PKEY> key_;
  std::string kid_;
};

}  // namespace st
