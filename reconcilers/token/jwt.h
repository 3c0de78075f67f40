// Service tokens as JWTs (RFC 7519) in JWS compact serialisation (RFC 7515):
// BASE64URL(header) "." BASE64URL(claims) "." BASE64URL(signature), with the
// header {"alg":"EdDSA"|"ES256","kid":<key id>,"typ":"JWT"}.
//
// Signing, minting and verification are pure functions of their arguments
// (time and randomness are passed in) and thread-safe. Error messages never
// contain a token, a signature or key material.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "controller/clock.h"
#include "controller/status.h"
#include "token/claims.h"
#include "token/jwks.h"
#include "token/random_source.h"
#include "token/secret_string.h"
#include "token/signing_key.h"

namespace st {

// Largest token signJwt produces and verifyJwt accepts.
inline constexpr size_t kMaxTokenBytes = 16 * 1024;

// Signs `claims` with `key`. Errors: InvalidArgument when a claim is not
// valid UTF-8 or the token would exceed kMaxTokenBytes; Internal from
// OpenSSL.
ctrl::StatusOr<SecretString> signJwt(const TokenClaims& claims, const SigningKey& key);

// A freshly minted token and what the operator may keep about it.
struct MintedToken {
  SecretString token;  // shown once: goes into the Secret and nowhere else
  TokenClaims claims;  // including the new tokenId
  std::string hash;    // tokenHash(token): "sha256:<hex>"
};

// Gives `claims` a new token id drawn from `random` (replacing any tokenId
// set by the caller) and signs them. Errors: those of newTokenId and signJwt.
ctrl::StatusOr<MintedToken> mintToken(TokenClaims claims, const SigningKey& key,
                                      RandomSource& random);

// The `kid` of a token's header, read without verifying anything: which key
// claims to have signed it (public information, never the token itself).
// "" when the token is larger than kMaxTokenBytes, has no header segment,
// or the header is not a bounded JSON object with a string `kid`.
std::string jwtKeyId(std::string_view token);

struct VerifyOptions {
  // Tolerated clock skew for `exp`.
  std::chrono::seconds leeway{0};
  // When non-empty, `iss` / `aud` must equal these.
  std::string issuer;
  std::string audience;
  // Skip the expiry check (to recognise a token as ours, not to accept it).
  bool ignoreExpiry = false;
};

// Verifies a compact JWT against `keys` at wall time `now` and returns its
// claims. Checks, in order: size (kMaxTokenBytes), three canonical base64url
// segments, header JSON (bounded) with `alg` EdDSA or ES256 (never `none`),
// a `kid` present in `keys`, `alg` matching that key's type, `typ` absent or
// "JWT", no `crit`; the signature; then the claims (claimsFromJson), expiry
// (valid while now < exp + leeway; no exp = Never) and the optional
// issuer/audience.
// Errors: InvalidArgument for a malformed token; Unauthorized for a
// well-formed token that must not be accepted (unknown kid, algorithm not
// allowed or not matching the key, bad signature, expired, wrong iss/aud).
ctrl::StatusOr<TokenClaims> verifyJwt(std::string_view token, const Jwks& keys, ctrl::WallTime now,
                                      const VerifyOptions& options = {});

// Why verifyJwtSignature refused a token, for callers that count refusals by
// cause (metrics) without reading messages.
enum class JwtRejection {
  kMalformed,   // not a well-formed compact JWS, or claims that do not decode
  kAlgorithm,   // alg not allowed, not matching the key, or critical extensions
  kUnknownKey,  // no key in the set has the header's kid
  kSignature,   // the signature does not verify
};

// The signature-checked content of a token: its claims and, when present,
// its `nbf` (which TokenClaims does not carry: our tokens never set it).
struct SignedJwt {
  TokenClaims claims;
  std::optional<std::chrono::sys_seconds> notBefore;
};

// The first half of verifyJwt: every check up to and including the
// signature and the claims' decoding, none of the time, issuer or audience
// checks (the caller applies its own). Errors as verifyJwt; when not null,
// `rejection` receives the cause of a failure.
ctrl::StatusOr<SignedJwt> verifyJwtSignature(std::string_view token, const Jwks& keys,
                                             JwtRejection* rejection = nullptr);

}  // namespace st
