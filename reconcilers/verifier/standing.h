// Step 4 of a verification, revocation: a correctly signed token is valid
// only while it is its ServiceToken's current token (status.tokenId and
// status.tokenHash), or its previous one (status.previousToken) before
// retainedUntil; and while that ServiceToken is not revoked or being
// deleted, and its ServiceUser exists, still has the userId the token was
// minted for, and is not being deleted.
//
// Both the token id (jti) and the hash are compared: the id finds the
// ServiceToken (an index), the hash proves these are the stored bytes. An
// ES256 signature can be altered into a second valid one (ECDSA
// malleability); such a copy carries the right jti but not the stored hash,
// and is refused.
#pragma once

#include <memory>
#include <string_view>

#include "controller/clock.h"
#include "token/claims.h"
#include "verifier/cache_view.h"
#include "verifier/decision.h"

namespace st::verifier {

struct Standing {
  Reason reason = Reason::kUnknownToken;
  std::shared_ptr<const TokenRecord> token;  // set when allowed
  std::shared_ptr<const UserRecord> user;    // set when allowed for a Service token
  bool previous = false;                     // matched status.previousToken
};

// Judges `claims` (of a token whose "sha256:<hex>" is `tokenHash`) against
// the cached ServiceTokens and ServiceUsers at `now`. Pure apart from the
// reads through `view`; thread-safe when the view is.
Standing checkStanding(const TokenClaims& claims, std::string_view tokenHash, const CacheView& view,
                       ctrl::WallTime now);

}  // namespace st::verifier
