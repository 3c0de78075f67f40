// The built-in token authority: signs JWTs (PRODUCT.md §4) with the active key
// of the operator's signing-key ring. Claims: iss, sub, name, email, iat, exp
// (absent for Never), jti (128 random bits from OpenSSL's CSPRNG), token_use,
// scope (scim or api), aud (the configured audience; for SCIM-only tokens
// scimAudience() of it).
#pragma once

#include <memory>
#include <mutex>
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

 private:
  std::mutex mu_;
  std::shared_ptr<const SigningKeyRing> keys_;
  AuthorityOptions options_;
  RandomSource& random_;
};

}  // namespace st
