// Step 3 of a verification: the claims of a correctly signed token against
// the verifier's configuration and the clock. Pure functions.
#pragma once

#include <chrono>
#include <span>
#include <string>

#include "controller/clock.h"
#include "token/jwt.h"
#include "verifier/decision.h"

namespace st::verifier {

// The largest clock-skew tolerance the verifier accepts.
inline constexpr std::chrono::seconds kMaxLeeway{60};

struct ClaimsPolicy {
  std::string issuer;               // iss must equal it
  std::string apiAudience;          // aud of scope "api" tokens
  std::string scimAudience;         // aud of scope "scim" tokens (scimAudience(apiAudience))
  std::chrono::seconds leeway{30};  // 0..kMaxLeeway
};

// Which audiences a caller accepts, on top of the scope-audience pairing.
struct AudienceRule {
  // Only API tokens (the TokenReview default: "the audience of the
  // Kubernetes API server" is the verifier's API audience).
  bool apiOnly = false;
  // When non-empty, aud must also be one of these (TokenReview
  // spec.audiences).
  std::span<const std::string> oneOf;
};

// Maps a signature-stage refusal to its Reason.
Reason reasonFor(JwtRejection rejection);

// Checks, in order: exp (valid while now < exp + leeway), nbf and iat (not
// after now + leeway), iss, aud (must be the audience that belongs to the
// token's scope, then satisfy `rule`), sub (non-empty). Returns kAllowed or
// the first failing check's reason.
Reason checkClaims(const SignedJwt& jwt, ctrl::WallTime now, const ClaimsPolicy& policy,
                   const AudienceRule& rule = {});

}  // namespace st::verifier
