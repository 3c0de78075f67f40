// The grant (identity now, role and teams from the ServiceUser as cached) and
// the SCIM scope rule on the original request path.
#include "verifier/grant.h"

#include <gtest/gtest.h>

#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::verifier::checkScope;
using st::verifier::checkStanding;
using st::verifier::makeGrant;
using st::verifier::Reason;

class Grant : public VerifierFixture {};

TEST_F(Grant, CarriesTheIdentityAndTheUsersRoleAndTeamsAsCachedNow) {
  Minted m = activeToken();
  auto standing = checkStanding(m.claims, m.hash, view_, clock_.wallNow());
  ASSERT_EQ(standing.reason, Reason::kAllowed);
  st::verifier::Grant g = makeGrant(m.claims, standing);
  EXPECT_EQ(g.userId, kUserId);
  EXPECT_EQ(g.uid, "uid-pipeline");
  EXPECT_EQ(g.email, "pipeline@example.com");  // the user's, over the claim
  EXPECT_EQ(g.tokenName, "Pipeline Automation");
  EXPECT_EQ(g.role, "Admin");
  EXPECT_EQ(g.teams, (std::vector<std::string>{"data", "platform"}));
  EXPECT_EQ(g.scope, st::TokenScope::kApi);
  EXPECT_EQ(g.use, st::TokenUse::kService);
  EXPECT_EQ(g.tokenId, m.claims.tokenId);
  EXPECT_EQ(g.serviceTokenNamespace, "default");
  EXPECT_EQ(g.serviceTokenName, "pipeline");

  // A role change applies to the existing token at once.
  st::verifier::UserRecord u = *view_.users.at("default/pipeline");
  u.role.clear();
  u.teams = {"ops"};
  u.email.clear();
  view_.put(u);
  standing = checkStanding(m.claims, m.hash, view_, clock_.wallNow());
  g = makeGrant(m.claims, standing);
  EXPECT_EQ(g.role, "Member");
  EXPECT_EQ(g.teams, (std::vector<std::string>{"ops"}));
  EXPECT_EQ(g.email, "claim@example.com");
}

TEST_F(Grant, ApiTokensMayCallAnyPath) {
  st::verifier::Grant g;
  g.scope = st::TokenScope::kApi;
  EXPECT_EQ(checkScope(g, std::string_view("/api/v1/x")), Reason::kAllowed);
  EXPECT_EQ(checkScope(g, std::string_view("/scim/v2/Users")), Reason::kAllowed);
  EXPECT_EQ(checkScope(g, std::nullopt), Reason::kAllowed);
}

TEST_F(Grant, ScimTokensMayCallOnlyScimPathsAfterNormalisation) {
  st::verifier::Grant g;
  g.scope = st::TokenScope::kScim;
  for (const char* allowed :
       {"/scim/v2/Users", "/scim/v2/Users?startIndex=1", "/SCIM/v2/Groups", "//scim/v2/Users",
        "/scim/v2/Users/../Groups", "https://h/scim/v2/Users"}) {
    EXPECT_EQ(checkScope(g, std::string_view(allowed)), Reason::kAllowed) << allowed;
  }
  for (const char* refused : {"/api/v1/x", "/scim/v2/../api/x", "/scim/v2/%2e%2e/api",
                              "/scim/v2/..;/api", "/scim/v2/..%5capi", "/scim/v2", "/scim/v1/Users",
                              "/scim/v2/%252e%252e/api", "/scim/v2/%zz", ""}) {
    EXPECT_EQ(checkScope(g, std::string_view(refused)), Reason::kInsufficientScope) << refused;
  }
  // No original URI: the scope cannot be shown to hold.
  EXPECT_EQ(checkScope(g, std::nullopt), Reason::kInsufficientScope);
}

}  // namespace
}  // namespace sttest
