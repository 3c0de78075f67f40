#include "verifier/standing.h"

namespace st::verifier {
namespace {

Standing refused(Reason reason) {
  Standing s;
  s.reason = reason;
  return s;
}

// How much a refusal says: when several ServiceTokens claim one token id
// (which the operator never does), the most specific refusal is reported.
int weight(Reason reason) {
  switch (reason) {
    case Reason::kAllowed:
      return 100;
    case Reason::kRevoked:
      return 6;
    case Reason::kServiceUserGone:
      return 5;
    case Reason::kBadSubject:
      return 4;
    case Reason::kGraceExpired:
      return 3;
    case Reason::kTokenMismatch:
      return 2;
    default:
      return 1;
  }
}

Standing judge(const TokenClaims& claims, std::string_view tokenHash,
               const std::shared_ptr<const TokenRecord>& token, const CacheView& view,
               ctrl::WallTime now) {
  const TokenRecord& t = *token;
  Standing s;
  // Which of the ServiceToken's two slots this token claims to be.
  if (t.tokenId == claims.tokenId) {
    if (t.tokenHash != tokenHash) return refused(Reason::kTokenMismatch);
  } else if (t.previous && t.previous->tokenId == claims.tokenId) {
    if (t.previous->tokenHash != tokenHash) return refused(Reason::kTokenMismatch);
    s.previous = true;
  } else {
    return refused(Reason::kUnknownToken);
  }
  if (t.revoked || t.deleting || t.phase == "Revoked") return refused(Reason::kRevoked);
  if (s.previous && (!t.previous->retainedUntil || now >= *t.previous->retainedUntil)) {
    return refused(Reason::kGraceExpired);
  }

  const bool personal = t.type == TokenType::kPersonal;
  if (personal != (claims.use == TokenUse::kPersonal)) return refused(Reason::kBadSubject);
  if (personal) {
    if (t.owner != claims.subject) return refused(Reason::kBadSubject);
  } else {
    if (t.serviceUserId != claims.subject) return refused(Reason::kBadSubject);
    auto user = view.serviceUser(t.ns, t.serviceUserRef);
    // Gone, going, or no longer the identity the token was minted for.
    // (A ServiceUser deleted and created again under the same name is the
    // operator's to handle: its clock and the API server's may differ, so a
    // creation time compared with iat here would refuse good tokens.)
    if (!user || user->deleting || user->userId != claims.subject) {
      return refused(Reason::kServiceUserGone);
    }
    s.user = std::move(user);
  }
  s.reason = Reason::kAllowed;
  s.token = token;
  return s;
}

}  // namespace

Standing checkStanding(const TokenClaims& claims, std::string_view tokenHash, const CacheView& view,
                       ctrl::WallTime now) {
  Standing best = refused(Reason::kUnknownToken);
  const TokenRecords tokens = view.tokensWithId(claims.tokenId);
  if (!tokens) return best;
  for (const auto& token : *tokens) {
    Standing s = judge(claims, tokenHash, token, view, now);
    if (s.reason == Reason::kAllowed) return s;
    if (weight(s.reason) > weight(best.reason)) best = std::move(s);
  }
  return best;
}

}  // namespace st::verifier
