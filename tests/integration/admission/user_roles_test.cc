// The chart's roles for people, checked with `kubectl auth can-i` run by each
// user itself: servicetoken-viewer reads, servicetoken-admin manages tokens
// and service users but holds neither `scim` nor `escalate`,
// servicetoken-scim-admin holds both; none reaches Secrets or status writes.
// And RBAC's own escalation check decides who may hand those verbs out: only
// someone who holds them.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission_support.h"

namespace sttest::admission {
namespace {

using ::testing::HasSubstr;

class UserRoles : public AdmissionTest {};

struct Expectation {
  const TestIdentity* who;
  const char* verb;
  std::string resource;
  const char* want;
};

TEST_F(UserRoles, CanIShowsWhatEachRoleGrants) {
  const std::string ns = "roles";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity vera = userWithRole("vera@example.com", "servicetoken-viewer", ns);
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);

  const Expectation kTable[] = {
      {&vera, "get", kTokens, "yes"},     {&vera, "list", kUsers, "yes"},
      {&vera, "create", kTokens, "no"},   {&vera, "scim", kTokens, "no"},
      {&vera, "escalate", kUsers, "no"},  {&alice, "create", kTokens, "yes"},
      {&alice, "update", kTokens, "yes"}, {&alice, "delete", kUsers, "yes"},
      {&alice, "create", kUsers, "yes"},  {&alice, "scim", kTokens, "no"},
      {&alice, "escalate", kUsers, "no"}, {&sam, "create", kTokens, "yes"},
      {&sam, "scim", kTokens, "yes"},     {&sam, "escalate", kUsers, "yes"},
      {&sam, "delete", kTokens, "yes"},   {&sam, "scim", kUsers, "no"},
      {&sam, "escalate", kTokens, "no"},  {&sam, "impersonate", "users", "no"},
  };
  for (const Expectation& e : kTable) {
    EXPECT_EQ(canI(*e.who, e.verb, e.resource, ns), e.want)
        << e.who->username << " " << e.verb << " " << e.resource;
  }
  for (const TestIdentity* who : {&vera, &alice, &sam}) {
    SCOPED_TRACE(who->username);
    EXPECT_EQ(canI(*who, "get", "secrets", ns), "no");
    ProcessResult r =
        who->kubectl({"auth", "can-i", "patch", kTokens, "--subresource=status", "-n", ns});
    EXPECT_EQ(r.out, "no\n") << "status is the operator's";
    EXPECT_EQ(canI(*who, "get", kTokens, "default"), "no")
        << "a RoleBinding stays in its namespace";
  }
}

TEST_F(UserRoles, OnlyHoldersOfScimAndEscalateMayGrantThem) {
  const std::string ns = "grants";
  ASSERT_TRUE(applyNamespace(ns));
  ControlPlane& cp = sharedControlPlane();
  ProcessResult r = cp.kubectl({"create", "role", "binding-manager", "--verb=create,delete",
                                "--resource=rolebindings.rbac.authorization.k8s.io", "-n", ns});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);
  for (const TestIdentity* who : {&alice, &sam}) {
    r = cp.kubectl({"create", "rolebinding", who->username.substr(0, 3) + "-binds", "--role",
                    "binding-manager", "--user", who->username, "-n", ns});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(waitUntilCan(*who, "create", "rolebindings.rbac.authorization.k8s.io", ns));
  }

  // alice may hand out what she holds, not scim/escalate.
  r = alice.kubectl({"create", "rolebinding", "newbie-admin", "--clusterrole=servicetoken-admin",
                     "--user=newbie", "-n", ns});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = alice.kubectl({"create", "rolebinding", "newbie-scim",
                     "--clusterrole=servicetoken-scim-admin", "--user=newbie", "-n", ns});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("attempting to grant RBAC permissions not currently held"));
  EXPECT_THAT(r.err, HasSubstr("scim"));

  // sam holds them, so sam may.
  r = sam.kubectl({"create", "rolebinding", "newbie-scim", "--clusterrole=servicetoken-scim-admin",
                   "--user=newbie", "-n", ns});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  const TestIdentity newbie = user("newbie");
  EXPECT_TRUE(waitUntilCan(newbie, "scim", kTokens, ns));
}

}  // namespace
}  // namespace sttest::admission
