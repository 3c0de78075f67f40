// Who may mint what, end to end: the chart installed with its user roles and
// admission policies, kube-controller-manager aggregating ClusterRoles, the
// real operator running as the chart's ServiceAccount, and people with
// identities of their own (client certificates) bound to Kubernetes'
// built-in roles. An `edit` user reads ServiceTokens (servicetoken-viewer is
// aggregated into `view`, and so into `edit`) but cannot create ServiceTokens
// or ServiceUsers (servicetoken-admin is not aggregated into `edit`). An
// `admin` user can, and the operator mints the token with the policies in
// place; but a namespace admin still gets no SCIM token, no Admin ServiceUser
// and no Never token in a production namespace.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "e2e_cluster.h"
#include "poll.h"
#include "test_identity.h"

namespace sttest::e2e {
namespace {

using namespace std::chrono_literals;
using ::testing::HasSubstr;

constexpr const char* kNs = "e2e-access";
constexpr const char* kTokens = "servicetokens.servicetoken.dev";
constexpr const char* kUsers = "serviceusers.servicetoken.dev";

std::string token(const std::string& name, const std::string& extraSpec) {
  return std::string(
             "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata:\n  name: ") +
         name + "\n  namespace: " + kNs + "\nspec:\n  displayName: " + name +
         "\n  type: Service\n  serviceUserRef: {name: pipeline}\n" + extraSpec;
}

std::string serviceUser(const std::string& name, const std::string& role) {
  return std::string(
             "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata:\n  name: ") +
         name + "\n  namespace: " + kNs + "\nspec:\n  displayName: " + name + "\n  role: " + role +
         "\n";
}

TEST(AccessControl, EditUsersCannotCreateServiceTokensNamespaceAdminsCanWithinThePolicies) {
  E2eCluster c;
  ASSERT_EQ(c.error(), "");
  ASSERT_TRUE(c.apply(std::string("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: ") + kNs +
                      "\n  labels: {servicetoken.dev/environment: production}\n"));
  TestIdentity edith, adam;
  ASSERT_TRUE(makeCertificateIdentity(c.plane(), c.dir(), "edith@example.com", {}, &edith));
  ASSERT_TRUE(makeCertificateIdentity(c.plane(), c.dir(), "adam@example.com", {}, &adam));
  for (const auto& [user, role] : {std::pair{&edith, "edit"}, std::pair{&adam, "admin"}}) {
    ProcessResult r = c.kubectl({"create", "rolebinding", std::string(role) + "-binding",
                                 "--clusterrole", role, "--user", user->username, "-n", kNs});
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }

  // kube-controller-manager aggregates the chart's roles into the built-in ones.
  ASSERT_TRUE(eventually([&] { return edith.canI("list", kTokens, kNs) == "yes"; }, 60s))
      << "servicetoken-viewer never reached `edit` through `view`";
  ASSERT_TRUE(eventually([&] { return adam.canI("create", kTokens, kNs) == "yes"; }, 60s))
      << "servicetoken-admin never reached `admin`";

  EXPECT_EQ(edith.canI("create", kTokens, kNs), "no");
  EXPECT_EQ(edith.canI("update", kTokens, kNs), "no");
  EXPECT_EQ(edith.canI("delete", kTokens, kNs), "no");
  EXPECT_EQ(edith.canI("create", kUsers, kNs), "no");
  EXPECT_EQ(edith.canI("create", "configmaps", kNs), "yes") << "the control: edith is an editor";
  EXPECT_EQ(adam.canI("scim", kTokens, kNs), "no");
  EXPECT_EQ(adam.canI("escalate", kUsers, kNs), "no");

  ProcessResult r =
      edith.kubectl({"create", "-f", "-"}, token("edith-token", "  expiration: 1y\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("cannot create resource \"servicetokens\""));
  r = edith.kubectl({"create", "-f", "-"}, serviceUser("edith-user", "Member"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("cannot create resource \"serviceusers\""));

  // A namespace admin mints a token; the operator's status writes pass the policies.
  OperatorProcess& op = c.startOperator("operator");
  r = adam.kubectl({"create", "-f", "-"}, serviceUser("pipeline", "Member") + "---\n" +
                                              token("airflow", "  expiration: 1y\n"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(eventually(
      [&] { return c.jsonpath("servicetoken", "airflow", kNs, ".status.phase") == "Active"; }, 60s))
      << op.logText();
  r = edith.kubectl({"get", kTokens, "airflow", "-n", kNs, "-o", "jsonpath={.status.phase}"});
  EXPECT_EQ(r.out, "Active") << r.err;

  // What only the extra verbs, or no one, may do. Policies take effect a
  // moment after they are created: wait with server-side dry runs (nothing is
  // stored), then make the real request.
  const std::pair<std::string, std::string> kRefused[] = {
      {token("directory-sync", "  expiration: 1y\n  scimAdministration: true\n"),
       "servicetoken-scim-administration"},
      {serviceUser("root", "Admin"), "servicetoken-admin-serviceusers"},
      {token("forever", "  expiration: Never\n"), "servicetoken-never-in-production"}};
  for (const auto& [manifest, policy] : kRefused) {
    SCOPED_TRACE(policy);
    const std::string refusal = "ValidatingAdmissionPolicy '" + policy + "'";
    EXPECT_TRUE(eventually(
        [&] {
          return adam.kubectl({"create", "--dry-run=server", "-f", "-"}, manifest)
                     .err.find(refusal) != std::string::npos;
        },
        60s));
    r = adam.kubectl({"create", "-f", "-"}, manifest);
    EXPECT_NE(r.exitCode, 0);
    EXPECT_THAT(r.err, HasSubstr(refusal));
  }
  EXPECT_THAT(r.err, HasSubstr("best practice"));
}

}  // namespace
}  // namespace sttest::e2e
