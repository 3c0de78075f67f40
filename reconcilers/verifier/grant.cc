#include "verifier/grant.h"

#include "verifier/request_path.h"

namespace st::verifier {

Grant makeGrant(const TokenClaims& claims, const Standing& standing) {
  Grant g;
  g.userId = claims.subject;
  g.tokenName = claims.name;
  g.use = claims.use;
  g.scope = claims.scope;
  g.tokenId = claims.tokenId;
  g.audience = claims.audience;
  g.expiresAt = claims.expiresAt;
  g.previousToken = standing.previous;
  if (standing.token) {
    g.serviceTokenNamespace = standing.token->ns;
    g.serviceTokenName = standing.token->name;
    g.serviceTokenResourceVersion = standing.token->resourceVersion;
    g.lastUsedTime = standing.token->lastUsedTime;
  }
  if (claims.email) g.email = *claims.email;
  if (const auto& user = standing.user) {
    g.uid = user->uid;
    if (!user->email.empty()) g.email = user->email;
    g.role = user->role.empty() ? std::string(kDefaultRole) : user->role;
    g.teams = user->teams;
  }
  return g;
}

Reason checkScope(const Grant& grant, std::optional<std::string_view> originalUri) {
  if (grant.scope != TokenScope::kScim) return Reason::kAllowed;
  if (!originalUri) return Reason::kInsufficientScope;
  auto path = normalizeRequestPath(*originalUri);
  return path.isOk() && isScimPath(*path) ? Reason::kAllowed : Reason::kInsufficientScope;
}

}  // namespace st::verifier
