// Step 5 of a verification: what an authenticated token grants, and step 6,
// the SCIM scope rule. Pure functions.
#pragma once

#include <optional>
#include <string_view>

#include "token/claims.h"
#include "verifier/decision.h"
#include "verifier/standing.h"

namespace st::verifier {

// The default role of a ServiceUser without spec.role.
inline constexpr std::string_view kDefaultRole = "Member";

// The identity of an allowed token: userId, email, token name and type from
// the token; role, teams, uid and (when set) email from the ServiceUser as
// cached now. Precondition: standing.reason == kAllowed.
Grant makeGrant(const TokenClaims& claims, const Standing& standing);

// A SCIM-only token may call only paths under /scim/v2/ (request_path.h);
// any other token any path. `originalUri` is the request-target the proxy
// reports, nullopt when it reported none (then a SCIM token is refused: its
// scope cannot be shown to hold). Returns kAllowed or kInsufficientScope.
Reason checkScope(const Grant& grant, std::optional<std::string_view> originalUri);

}  // namespace st::verifier
