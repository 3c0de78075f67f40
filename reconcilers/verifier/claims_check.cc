#include "verifier/claims_check.h"

#include <algorithm>

namespace st::verifier {

Reason reasonFor(JwtRejection rejection) {
  switch (rejection) {
    case JwtRejection::kMalformed:
      return Reason::kMalformedToken;
    case JwtRejection::kAlgorithm:
      return Reason::kUnsupportedAlgorithm;
    case JwtRejection::kUnknownKey:
      return Reason::kUnknownKey;
    case JwtRejection::kSignature:
      return Reason::kBadSignature;
  }
  return Reason::kMalformedToken;
}

Reason checkClaims(const SignedJwt& jwt, ctrl::WallTime now, const ClaimsPolicy& policy,
                   const AudienceRule& rule) {
  const TokenClaims& c = jwt.claims;
  const auto leeway = std::min(policy.leeway, kMaxLeeway);
  if (c.expiresAt && now >= *c.expiresAt + leeway) return Reason::kExpired;
  if (jwt.notBefore && now + leeway < *jwt.notBefore) return Reason::kNotYetValid;
  if (now + leeway < c.issuedAt) return Reason::kNotYetValid;
  if (c.issuer != policy.issuer) return Reason::kWrongIssuer;

  // A SCIM token never carries the API audience and the reverse, so an
  // audience check alone keeps SCIM tokens out of the general API.
  const std::string& expected =
      c.scope == TokenScope::kScim ? policy.scimAudience : policy.apiAudience;
  if (c.audience != expected) return Reason::kWrongAudience;
  if (rule.apiOnly && c.scope != TokenScope::kApi) return Reason::kWrongAudience;
  if (!rule.oneOf.empty() &&
      std::find(rule.oneOf.begin(), rule.oneOf.end(), c.audience) == rule.oneOf.end()) {
    return Reason::kWrongAudience;
  }
  if (c.subject.empty()) return Reason::kBadSubject;
  return Reason::kAllowed;
}

}  // namespace st::verifier
