// The outcome of verifying one request: allowed with a Grant, or refused for
// one Reason. Reasons are a closed set so that metrics can count them
// (label values) and HTTP answers can be derived from them without reading
// messages.
#pragma once

#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/clock.h"
#include "token/claims.h"

namespace st::verifier {

enum class Reason {
  kAllowed,
  // 401: no credentials (RFC 6750 §3.1: no error code).
  kMissingToken,
  // 401 invalid_request: an Authorization header that is not one bearer token.
  kMalformedHeader,
  // 401 invalid_token: the token itself.
  kMalformedToken,
  kUnsupportedAlgorithm,
  kUnknownKey,
  kBadSignature,
  kWrongIssuer,
  kWrongAudience,
  kBadSubject,
  kExpired,
  kNotYetValid,
  // 401 invalid_token: the revocation check against the ServiceToken.
  kUnknownToken,     // no ServiceToken holds this token id (deleted, replaced, rotated out)
  kTokenMismatch,    // the id is known but the token's hash is not the stored one
  kGraceExpired,     // the previous token, past previousToken.retainedUntil
  kRevoked,          // spec.revoked, phase Revoked, or the ServiceToken is being deleted
  kServiceUserGone,  // the ServiceUser is missing, being deleted, or has another userId
  // 403 insufficient_scope.
  kInsufficientScope,
  // 503: the caches have not synced or no JWKS is loaded yet.
  kNotReady,
};

// Every reason, for pre-creating metric series.
inline constexpr Reason kAllReasons[] = {Reason::kAllowed,
                                         Reason::kMissingToken,
                                         Reason::kMalformedHeader,
                                         Reason::kMalformedToken,
                                         Reason::kUnsupportedAlgorithm,
                                         Reason::kUnknownKey,
                                         Reason::kBadSignature,
                                         Reason::kWrongIssuer,
                                         Reason::kWrongAudience,
                                         Reason::kBadSubject,
                                         Reason::kExpired,
                                         Reason::kNotYetValid,
                                         Reason::kUnknownToken,
                                         Reason::kTokenMismatch,
                                         Reason::kGraceExpired,
                                         Reason::kRevoked,
                                         Reason::kServiceUserGone,
                                         Reason::kInsufficientScope,
                                         Reason::kNotReady};

// snake_case, e.g. "grace_expired": the metric label value.
std::string_view reasonName(Reason reason);

enum class Result { kAllowed, kUnauthenticated, kForbidden, kUnavailable };
Result resultOf(Reason reason);
// "allowed", "unauthenticated", "forbidden", "unavailable".
std::string_view resultName(Result result);

// Who the token speaks for, looked up at verification time (role and teams
// come from the ServiceUser now, not from the token).
struct Grant {
  std::string userId;     // sub
  std::string uid;        // the ServiceUser's metadata.uid; "" for Personal tokens
  std::string email;      // the ServiceUser's spec.email, else the token's email claim
  std::string tokenName;  // the name claim (the ServiceToken's displayName)
  TokenUse use = TokenUse::kService;
  TokenScope scope = TokenScope::kApi;
  std::string role;  // the ServiceUser's role ("Member" when unset); "" for Personal
  std::vector<std::string> teams;
  std::string tokenId;   // jti
  std::string audience;  // aud
  std::string serviceTokenNamespace;
  std::string serviceTokenName;
  std::string serviceTokenResourceVersion;     // as cached at the decision
  std::optional<ctrl::WallTime> lastUsedTime;  // the ServiceToken's, as cached
  bool previousToken = false;  // presented the previous token during its grace period
  std::optional<std::chrono::sys_seconds> expiresAt;
};

struct Decision {
  Reason reason = Reason::kMissingToken;
  std::shared_ptr<const Grant> grant;  // set when the token authenticated (also for 403)

  bool allowed() const { return reason == Reason::kAllowed; }
};

}  // namespace st::verifier
