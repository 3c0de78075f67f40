// Rule scim-administration on a real kube-apiserver: a SCIM token
// (spec.scimAdministration: true, created so or switched on by an update)
// needs the custom RBAC verb `scim` on servicetokens in its namespace, which
// servicetoken-scim-admin has and servicetoken-admin has not. Changing other
// fields of an existing SCIM token, or switching SCIM off, needs no `scim`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission_support.h"

namespace sttest::admission {
namespace {

class ScimAdministration : public AdmissionTest {};

Json scimToken(const std::string& name, const std::string& ns) {
  Json token = serviceToken(name, ns);
  token["spec"]["scimAdministration"] = true;
  return token;
}

TEST_F(ScimAdministration, OnlyTheScimVerbInTheNamespaceMintsScimTokens) {
  const std::string ns = "scim-a";
  const std::string other = "scim-b";
  ASSERT_TRUE(applyNamespace(ns));
  ASSERT_TRUE(applyNamespace(other));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);

  EXPECT_TRUE(deniedBy(createAs(alice, scimToken("directory-sync", ns)), "scim-administration",
                       {"user \"alice@example.com\"", "namespace \"scim-a\"", "verb scim",
                        "resource servicetokens", "servicetoken-scim-admin"}));
  EXPECT_TRUE(allowed(createAs(alice, serviceToken("plain", ns))));
  EXPECT_TRUE(allowed(createAs(sam, scimToken("directory-sync", ns))));

  // sam's `scim` is granted in scim-a only: elsewhere servicetoken-admin is not enough.
  ASSERT_TRUE(bindClusterRole("sam-admin", "servicetoken-admin", sam.username, other));
  ASSERT_TRUE(waitUntilCan(sam, "create", kTokens, other));
  EXPECT_TRUE(deniedBy(createAs(sam, scimToken("directory-sync", other)), "scim-administration",
                       {"namespace \"scim-b\""}));
  // The verb is the whole permission: a Role with only `scim` adds it.
  ProcessResult r =
      sharedControlPlane().kubectl({"create", "role", "scim-only", "--verb=scim",
                                    "--resource=" + std::string(kTokens), "-n", other});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = sharedControlPlane().kubectl({"create", "rolebinding", "sam-scim", "--role=scim-only",
                                    "--user=" + sam.username, "-n", other});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(waitUntilCan(sam, "scim", kTokens, other));
  EXPECT_TRUE(allowed(createAs(sam, scimToken("directory-sync", other))));
}

TEST_F(ScimAdministration, SwitchingScimOnNeedsTheVerbOtherChangesDoNot) {
  const std::string ns = "scim-update";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);
  ASSERT_TRUE(allowed(createAs(alice, serviceToken("plain", ns))));
  ASSERT_TRUE(allowed(createAs(sam, scimToken("directory-sync", ns))));

  EXPECT_TRUE(
      deniedBy(patchAs(alice, kTokens, "plain", ns, {{"spec", {{"scimAdministration", true}}}}),
               "scim-administration"));
  // An existing SCIM token: other fields, labels and annotations are free.
  EXPECT_TRUE(allowed(patchAs(alice, kTokens, "directory-sync", ns,
                              {{"spec", {{"displayName", "Okta sync"}, {"expiration", "90d"}}},
                               {"metadata", {{"labels", {{"team", "it"}}}}}})));
  // Switching SCIM off narrows the token; switching it back on is a new grant.
  EXPECT_TRUE(allowed(
      patchAs(alice, kTokens, "directory-sync", ns, {{"spec", {{"scimAdministration", false}}}})));
  EXPECT_TRUE(deniedBy(
      patchAs(alice, kTokens, "directory-sync", ns, {{"spec", {{"scimAdministration", true}}}}),
      "scim-administration"));
  EXPECT_TRUE(allowed(
      patchAs(sam, kTokens, "directory-sync", ns, {{"spec", {{"scimAdministration", true}}}})));
}

}  // namespace
}  // namespace sttest::admission
