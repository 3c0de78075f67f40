// Rule personal-owner on a real kube-apiserver: a Personal ServiceToken acts
// as its owner (the token's `sub`), so its spec.owner must be the requesting
// user's own username, unless Kubernetes lets the requester impersonate that
// user (`impersonate` on `users`, by name). Every user here has an identity of
// its own (a client certificate or a ServiceAccount token) and a chart role.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission_support.h"

namespace sttest::admission {
namespace {

class PersonalOwner : public AdmissionTest {};

TEST_F(PersonalOwner, UsersMintPersonalTokensForThemselvesOnly) {
  const std::string ns = "po-own";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);

  EXPECT_TRUE(allowed(createAs(alice, personalToken("alice-laptop", ns, "alice@example.com"))));
  EXPECT_TRUE(deniedBy(createAs(alice, personalToken("as-bob", ns, "bob@example.com")),
                       "personal-owner",
                       {"user \"alice@example.com\"", "\"bob@example.com\"", "verb impersonate",
                        "resource users", "resourceNames [\"bob@example.com\"]"}));
  ProcessResult stored = sharedControlPlane().kubectl({"get", kTokens, "as-bob", "-n", ns});
  EXPECT_NE(stored.exitCode, 0) << "a refused token must not be stored";
  // Service tokens act as a ServiceUser, not as a person: not this rule's business.
  EXPECT_TRUE(allowed(createAs(alice, serviceToken("pipeline", ns))));

  // A ServiceAccount's username is system:serviceaccount:<ns>:<name>.
  const TestIdentity ci = serviceAccount(ns, "ci");
  ASSERT_TRUE(bindClusterRole("ci-admin", "servicetoken-admin", ci.username, ns));
  ASSERT_TRUE(waitUntilCan(ci, "create", kTokens, ns));
  EXPECT_TRUE(allowed(createAs(ci, personalToken("ci-own", ns, ci.username))));
  EXPECT_TRUE(deniedBy(createAs(ci, personalToken("ci-as-alice", ns, "alice@example.com")),
                       "personal-owner", {"system:serviceaccount:po-own:ci"}));
}

TEST_F(PersonalOwner, PermissionToImpersonateAUserAllowsMintingForThatUserOnly) {
  const std::string ns = "po-impersonate";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity helpdesk = userWithRole("helpdesk", "servicetoken-admin", ns);
  EXPECT_TRUE(deniedBy(createAs(helpdesk, personalToken("bob-token", ns, "bob@example.com")),
                       "personal-owner", {"\"bob@example.com\""}));

  // Kubernetes' own permission, scoped to one user by name.
  ControlPlane& cp = sharedControlPlane();
  ProcessResult r = cp.kubectl({"create", "clusterrole", "impersonate-bob", "--verb=impersonate",
                                "--resource=users", "--resource-name=bob@example.com"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(bindClusterRole("helpdesk-impersonates-bob", "impersonate-bob", "helpdesk", ""));
  ASSERT_TRUE(waitUntilCan(helpdesk, "impersonate", "users/bob@example.com", ""));
  EXPECT_EQ(canI(helpdesk, "impersonate", "users/carol@example.com", ""), "no");

  EXPECT_TRUE(allowed(createAs(helpdesk, personalToken("bob-token", ns, "bob@example.com"))));
  EXPECT_TRUE(deniedBy(createAs(helpdesk, personalToken("carol-token", ns, "carol@example.com")),
                       "personal-owner", {"\"carol@example.com\""}));

  // Cluster admins (system:masters) may impersonate anyone.
  const TestIdentity admin = clusterAdmin();
  EXPECT_TRUE(allowed(createAs(admin, personalToken("dave-token", ns, "dave@example.com"))));
}

TEST_F(PersonalOwner, ChangesThatKeepTheOwnerNeedNoImpersonation) {
  const std::string ns = "po-update";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity admin = clusterAdmin();
  ASSERT_TRUE(allowed(createAs(admin, personalToken("bob-token", ns, "bob@example.com"))));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);

  // Labels, annotations (e.g. the rotate annotation) and token settings of
  // someone else's token: the owner, and so the token's subject, stay.
  EXPECT_TRUE(allowed(patchAs(
      alice, kTokens, "bob-token", ns,
      {{"metadata",
        {{"labels", {{"team", "data"}}}, {"annotations", {{"servicetoken.dev/rotate", "1"}}}}}})));
  EXPECT_TRUE(allowed(
      patchAs(alice, kTokens, "bob-token", ns, {{"spec", {{"displayName", "Bob's laptop"}}}})));
  // The owner itself cannot change at all (the CRD makes it immutable).
  ProcessResult r =
      patchAs(alice, kTokens, "bob-token", ns, {{"spec", {{"owner", "alice@example.com"}}}});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, ::testing::HasSubstr("immutable"));
}

}  // namespace
}  // namespace sttest::admission
