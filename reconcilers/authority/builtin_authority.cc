#include "authority/builtin_authority.h"

#include "token/jwt.h"

namespace st {

BuiltinAuthority::BuiltinAuthority(SigningKeyRing keys, AuthorityOptions options,
                                   RandomSource& random)
    : keys_(std::make_shared<const SigningKeyRing>(std::move(keys))),
      options_(std::move(options)),
      random_(random) {}

ctrl::StatusOr<IssuedToken> BuiltinAuthority::mint(const MintRequest& r) {
  std::shared_ptr<const SigningKeyRing> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  TokenClaims claims;
  claims.issuer = options_.issuer;
  // SCIM-only tokens get an audience of their own (token/claims.h), so a
  // consumer that checks `aud` but ignores `scope` still refuses them.
  claims.audience = r.scim ? scimAudience(options_.audience) : options_.audience;
  claims.subject = r.subject;
  claims.name = r.name;
  if (!r.email.empty()) claims.email = r.email;
  claims.issuedAt = std::chrono::time_point_cast<std::chrono::seconds>(r.now);
  if (r.lifetime) claims.expiresAt = claims.issuedAt + *r.lifetime;
  claims.use = r.type == TokenType::kPersonal ? TokenUse::kPersonal : TokenUse::kService;
  claims.scope = r.scim ? TokenScope::kScim : TokenScope::kApi;
  auto minted = mintToken(std::move(claims), keys->active(), random_);
  if (!minted.isOk()) return minted.status();
  IssuedToken out;
  out.value = std::move(minted->token);
  out.tokenId = minted->claims.tokenId;
  out.tokenHash = minted->hash;
  out.issuedAt = minted->claims.issuedAt;
  if (minted->claims.expiresAt) out.expiresAt = *minted->claims.expiresAt;
  return out;
}

ctrl::StatusOr<TokenIdentity> BuiltinAuthority::verify(const SecretString& token) {
  std::shared_ptr<const SigningKeyRing> keys;
  {
    std::lock_guard lock(mu_);
    keys = keys_;
  }
  VerifyOptions options;
  options.issuer = options_.issuer;
  options.ignoreExpiry = true;
  auto claims = verifyJwt(token.reveal(), keys->jwks(), ctrl::WallTime{}, options);
  if (!claims.isOk()) return claims.status();
  // Either audience this authority mints with (SCIM tokens have their own).
  if (claims->audience != options_.audience &&
      claims->audience != scimAudience(options_.audience)) {
    return ctrl::Status(ctrl::Code::kUnauthorized, "token rejected: audience does not match");
  }
  return TokenIdentity{claims->tokenId, claims->subject};
}

bool BuiltinAuthority::keyRevoked(std::string_view kid) {
  if (kid.empty()) return false;
  std::lock_guard lock(mu_);
  return revoked_.find(kid) != revoked_.end();
}

void BuiltinAuthority::setKeys(SigningKeyRing keys, std::set<std::string> revoked) {
  auto ring = std::make_shared<const SigningKeyRing>(std::move(keys));
  std::lock_guard lock(mu_);
  keys_ = std::move(ring);
  revoked_ = std::set<std::string, std::less<>>(revoked.begin(), revoked.end());
}

}  // namespace st
