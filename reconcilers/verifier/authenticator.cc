#include "verifier/authenticator.h"

#include <memory>

#include "token/token_hash.h"
#include "verifier/grant.h"
#include "verifier/standing.h"

namespace st::verifier {

Authenticator::Authenticator(const CacheView& view, AuthenticatorOptions options,
                             ctrl::Clock& clock)
    : view_(view), options_(std::move(options)), clock_(clock), cache_(options_.cacheCapacity) {}

Decision Authenticator::authenticate(std::string_view token, const AudienceRule& rule) const {
  if (!view_.synced()) return {Reason::kNotReady, nullptr};
  const JwksSnapshot keys = view_.jwks();
  if (!keys.jwks) return {Reason::kNotReady, nullptr};
  if (token.size() > kMaxTokenBytes) return {Reason::kMalformedToken, nullptr};

  const std::string hash = tokenHash(token);
  std::shared_ptr<const SignedJwt> jwt = cache_.get(hash, keys.generation);
  if (!jwt) {
    JwtRejection why = JwtRejection::kMalformed;
    auto verified = verifyJwtSignature(token, *keys.jwks, &why);
    if (!verified.isOk()) return {reasonFor(why), nullptr};
    jwt = std::make_shared<const SignedJwt>(std::move(verified).value());
    cache_.put(hash, keys.generation, jwt);
  }

  const ctrl::WallTime now = clock_.wallNow();
  if (Reason r = checkClaims(*jwt, now, options_.claims, rule); r != Reason::kAllowed) {
    return {r, nullptr};
  }
  Standing standing = checkStanding(jwt->claims, hash, view_, now);
  if (standing.reason != Reason::kAllowed) return {standing.reason, nullptr};
  return {Reason::kAllowed, std::make_shared<const Grant>(makeGrant(jwt->claims, standing))};
}

}  // namespace st::verifier
