// The whole verification of one bearer token, in the order of the seed's
// flow: signature (JWKS by kid, algorithm bound to the key type; cached by
// token hash), claims (time with leeway, iss, aud, sub), revocation against
// the cached ServiceToken, and the grant with role and teams looked up now.
// The SCIM scope rule (grant.h) is applied by the interface that knows the
// request path.
#pragma once

#include <cstddef>
#include <string_view>

#include "controller/clock.h"
#include "verifier/cache_view.h"
#include "verifier/claims_check.h"
#include "verifier/decision.h"
#include "verifier/verified_cache.h"

namespace st::verifier {

struct AuthenticatorOptions {
  ClaimsPolicy claims;
  size_t cacheCapacity = 100'000;  // verified-token cache entries; 0 disables it
};

class Authenticator {
 public:
  // `view` and `clock` must outlive the authenticator.
  Authenticator(const CacheView& view, AuthenticatorOptions options, ctrl::Clock& clock);
  Authenticator(const Authenticator&) = delete;
  Authenticator& operator=(const Authenticator&) = delete;

  // Verifies `token` (the bare token, already taken out of its header).
  // Never logs or returns the token. Thread-safe.
  Decision authenticate(std::string_view token, const AudienceRule& rule = {}) const;

  // Drops the cached signature check of the token with this hash (its
  // ServiceToken moved on). Thread-safe.
  void forget(std::string_view tokenHash) const { cache_.erase(tokenHash); }
  size_t cachedTokens() const { return cache_.size(); }
  const AuthenticatorOptions& options() const { return options_; }

 private:
  const CacheView& view_;
  AuthenticatorOptions options_;
  ctrl::Clock& clock_;
  mutable VerifiedTokenCache cache_;
};

}  // namespace st::verifier
