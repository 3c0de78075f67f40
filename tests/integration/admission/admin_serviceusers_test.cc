// Rule admin-serviceusers on a real kube-apiserver: a ServiceUser whose role
// is Admin (created so, or promoted by an update) needs the custom RBAC verb
// `escalate` on serviceusers in its namespace, which servicetoken-scim-admin
// has and servicetoken-admin has not. Other changes to an Admin ServiceUser,
// and demotions, need no `escalate`.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "admission_support.h"

namespace sttest::admission {
namespace {

class AdminServiceUsers : public AdmissionTest {};

TEST_F(AdminServiceUsers, OnlyTheEscalateVerbCreatesAdmins) {
  const std::string ns = "su-create";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);

  EXPECT_TRUE(deniedBy(createAs(alice, serviceUser("root", ns, "Admin")), "admin-serviceusers",
                       {"user \"alice@example.com\"", "namespace \"su-create\"", "verb escalate",
                        "resource serviceusers", "servicetoken-scim-admin"}));
  EXPECT_TRUE(allowed(createAs(alice, serviceUser("member", ns, "Member"))));
  EXPECT_TRUE(allowed(createAs(alice, serviceUser("manager", ns, "Manager"))));
  EXPECT_TRUE(allowed(createAs(alice, serviceUser("default-role", ns, ""))));
  EXPECT_TRUE(allowed(createAs(sam, serviceUser("root", ns, "Admin"))));
}

TEST_F(AdminServiceUsers, PromotionNeedsTheVerbOtherChangesDoNot) {
  const std::string ns = "su-update";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  const TestIdentity sam = userWithRole("sam@example.com", "servicetoken-scim-admin", ns);
  ASSERT_TRUE(allowed(createAs(alice, serviceUser("pipeline", ns, ""))));
  ASSERT_TRUE(allowed(createAs(sam, serviceUser("root", ns, "Admin"))));

  EXPECT_TRUE(deniedBy(patchAs(alice, kUsers, "pipeline", ns, {{"spec", {{"role", "Admin"}}}}),
                       "admin-serviceusers"));
  EXPECT_TRUE(allowed(
      patchAs(alice, kUsers, "root", ns,
              {{"metadata", {{"labels", {{"team", "platform"}}}}},
               {"spec", {{"email", "root@example.com"}, {"teams", Json::array({"platform"})}}}})));
  EXPECT_TRUE(allowed(patchAs(alice, kUsers, "root", ns, {{"spec", {{"role", "Member"}}}})));
  EXPECT_TRUE(deniedBy(patchAs(alice, kUsers, "root", ns, {{"spec", {{"role", "Admin"}}}}),
                       "admin-serviceusers"));
  EXPECT_TRUE(allowed(patchAs(sam, kUsers, "pipeline", ns, {{"spec", {{"role", "Admin"}}}})));
}

}  // namespace
}  // namespace sttest::admission
