// Rule never-in-production on a real kube-apiserver: `expiration: Never` is
// refused, for everyone, in namespaces labelled
// servicetoken.dev/environment: production, with a message that cites the
// best practice; elsewhere it is allowed. An update that sets Never is
// refused too; existing Never tokens in a namespace labelled later stay
// writable.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission_support.h"

namespace sttest::admission {
namespace {

class NeverInProduction : public AdmissionTest {};

Json neverToken(const std::string& name, const std::string& ns) {
  Json token = serviceToken(name, ns);
  token["spec"]["expiration"] = "Never";
  return token;
}

TEST_F(NeverInProduction, RefusedForEveryoneInProductionNamespacesOnly) {
  const std::string prod = "np-prod";
  const std::string staging = "np-staging";
  const std::string plain = "np-plain";
  ASSERT_TRUE(applyNamespace(prod, {{"servicetoken.dev/environment", "production"}}));
  ASSERT_TRUE(applyNamespace(staging, {{"servicetoken.dev/environment", "staging"}}));
  ASSERT_TRUE(applyNamespace(plain));
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", prod);
  const TestIdentity admin = clusterAdmin();

  EXPECT_TRUE(deniedBy(createAs(sam, neverToken("forever", prod)), "never-in-production",
                       {"namespace \"np-prod\"", "servicetoken.dev/environment=production",
                        "best practice", "avoid Never in production", "1y (365 days)",
                        "at least 30 days before expiry", "No RBAC permission overrides"}));
  // Not even a cluster admin: no permission overrides it.
  EXPECT_TRUE(deniedBy(createAs(admin, neverToken("forever", prod)), "never-in-production"));

  Json oneYear = serviceToken("one-year", prod);
  oneYear["spec"]["expiration"] = "1y";
  EXPECT_TRUE(allowed(createAs(sam, oneYear)));
  Json days = serviceToken("days", prod);
  days["spec"].erase("expiration");
  days["spec"]["expiresInDays"] = 365;
  EXPECT_TRUE(allowed(createAs(sam, days)));

  EXPECT_TRUE(allowed(createAs(admin, neverToken("forever", staging))));
  EXPECT_TRUE(allowed(createAs(admin, neverToken("forever", plain))));
}

TEST_F(NeverInProduction, SettingNeverIsRefusedExistingNeverTokensStayWritable) {
  const std::string ns = "np-later";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity admin = clusterAdmin();
  ASSERT_TRUE(allowed(createAs(admin, neverToken("legacy", ns))));
  ASSERT_TRUE(allowed(createAs(admin, serviceToken("monthly", ns))));

  ASSERT_TRUE(applyNamespace(ns, {{"servicetoken.dev/environment", "production"}}));
  // The policy reads the namespace from the API server's cache: wait until
  // it sees the label (a server-side dry run stores nothing).
  const Json toNever = {{"spec", {{"expiration", "Never"}}}};
  ASSERT_TRUE(pollUntil([&] {
    ProcessResult r = admin.kubectl({"patch", kTokens, "monthly", "-n", ns, "--type=merge", "-p",
                                     toNever.dump(), "--dry-run=server"});
    return bool(deniedBy(r, "never-in-production"));
  }));
  EXPECT_TRUE(deniedBy(patchAs(admin, kTokens, "monthly", ns, toNever), "never-in-production"));

  // The token that already is Never: labels, annotations, other fields.
  EXPECT_TRUE(allowed(patchAs(
      admin, kTokens, "legacy", ns,
      {{"metadata", {{"labels", {{"review", "due"}}}}}, {"spec", {{"displayName", "Legacy"}}}})));
  // And the way out of Never is always open.
  EXPECT_TRUE(allowed(patchAs(admin, kTokens, "legacy", ns, {{"spec", {{"expiration", "1y"}}}})));
  EXPECT_TRUE(deniedBy(patchAs(admin, kTokens, "legacy", ns, toNever), "never-in-production"));
}

}  // namespace
}  // namespace sttest::admission
