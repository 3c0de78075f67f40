// The built-in token authority: signs JWTs (PRODUCT.md §4) with the active key
// of the operator's signing-key ring (which the key rotator may replace). Claims: iss, sub, name,
// email, iat, exp (absent for Never), jti (128 random bits from OpenSSL's CSPRNG), token_use, scope
// (scim or api), aud (the configured audience; for SCIM-only tokens scimAudience() of it).
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "servicetoken/authority.h"
#include "token/key_store.h"
#include "token/random_source.h"

namespace st {

struct AuthorityOptions {
  std::string issuer = "https://servicetoken.dev";
  std::string audience = "servicetoken.dev";
};

class BuiltinAuthority final : public TokenAuthority {
 public:
  BuiltinAuthority(SigningKeyRing keys, AuthorityOptions options,
                   RandomSource& random = OpenSslRandomSource::instance());
  ctrl::StatusOr<IssuedToken> mint(const MintRequest& request) override;
  ctrl::StatusOr<TokenIdentity> verify(const SecretString& token) override;
  bool keyRevoked(std::string_view kid) override;

  // Replaces the ring (the key rotator, after the key Secret changed) and the
  // kids withdrawn with retire-old. Mints in flight finish with the ring they
  // started with. Thread-safe.
  void setKeys(SigningKeyRing keys, std::set<std::string> revoked);

 private:
  std::mutex mu_;
  std::shared_ptr<const SigningKeyRing> keys_;
  std::set<std::string, std::less<>> revoked_;
  AuthorityOptions options_;
  RandomSource& random_;
};

}  // namespace st
