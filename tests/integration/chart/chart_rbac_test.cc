// The chart's RBAC grants the operator exactly the API calls it makes, on a
// real kube-apiserver: `kubectl auth can-i --list` as the operator's
// ServiceAccount equals the checked-in expected-can-i-*.txt files, cluster-wide
// and with two watchNamespaces (a third namespace stays out of reach); no
// operator role holds delete, escalate, bind, impersonate or wildcards;
// servicetoken-viewer and servicetoken-admin never reach Secrets; the
// metrics-reader ClusterRole lets exactly its subjects get /metrics.
//
// After an intended RBAC change, regenerate the expected files with
//   ST_UPDATE_EXPECTED=1 ./integration_chart --gtest_filter='ChartRbac.*'
// and review the diff.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <set>
#include <string>
#include <vector>

#include "chart_support.h"

namespace sttest::chart {
namespace {

using ::testing::IsEmpty;
using ::testing::Not;

// Roles bound to ServiceAccount saNs/saName among `objects`, and every grant
// in them an operator must never hold.
struct GrantCheck {
  int roles = 0;
  std::vector<std::string> problems;
};

GrantCheck checkOperatorGrants(const std::vector<Json>& objects, const std::string& saNs,
                               const std::string& saName) {
  static const std::set<std::string> kForbiddenVerbs = {"*",        "delete", "deletecollection",
                                                        "escalate", "bind",   "impersonate"};
  GrantCheck check;
  for (const Json& binding : objects) {
    const std::string kind = binding.value("kind", "");
    if (kind != "ClusterRoleBinding" && kind != "RoleBinding") continue;
    bool bindsOperator = false;
    for (const Json& s : binding.value("subjects", Json::array())) {
      bindsOperator |= s.value("kind", "") == "ServiceAccount" && s.value("name", "") == saName &&
                       s.value("namespace", "") == saNs;
    }
    if (!bindsOperator) continue;
    const std::string roleKind = binding["roleRef"].value("kind", "");
    const std::string roleName = binding["roleRef"].value("name", "");
    Json role;
    for (const Json& o : objects) {
      if (o.value("kind", "") == roleKind && o["metadata"].value("name", "") == roleName &&
          (roleKind == "ClusterRole" ||
           o["metadata"].value("namespace", "") == binding["metadata"].value("namespace", ""))) {
        role = o;
      }
    }
    const std::string where = roleKind + " " + roleName;
    if (role.is_null()) {
      check.problems.push_back(kind + " binds " + where + ", which the chart does not render");
      continue;
    }
    ++check.roles;
    if (role.contains("aggregationRule")) check.problems.push_back(where + " is aggregated");
    for (const Json& rule : role.value("rules", Json::array())) {
      for (const Json& verb : rule.value("verbs", Json::array())) {
        if (kForbiddenVerbs.count(verb.get<std::string>())) {
          check.problems.push_back(where + " grants " + verb.get<std::string>());
        }
      }
      for (const char* field : {"apiGroups", "resources"}) {
        for (const Json& v : rule.value(field, Json::array())) {
          if (v == "*") check.problems.push_back(where + " has " + field + " *");
        }
      }
      if (rule.contains("nonResourceURLs")) check.problems.push_back(where + " grants URLs");
    }
  }
  return check;
}

class ChartRbac : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(installChartCrds());
    for (const char* ns :
         {"st-rbac", "st-rbac-ns", "st-rbac-team", "st-rbac-team2", "st-rbac-mon"}) {
      ASSERT_TRUE(applyNamespace(ns));
    }
  }

  static void expectCanIList(const std::string& user, const std::string& ns,
                             const std::string& name) {
    chart::expectCanIList(user, ns, name, "the operator's ServiceAccount",
                          "tests/integration/chart/chart_rbac_test.cc");
  }
};

TEST_F(ChartRbac, ClusterWideOperatorCanDoExactlyWhatItNeeds) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-rbac", {}, /*dryRun=*/false, &objects));
  const std::string sa = "system:serviceaccount:st-rbac:st-servicetoken-operator";
  expectCanIList(sa, "st-rbac", "cluster-wide-release-namespace");
  expectCanIList(sa, "default", "cluster-wide-other-namespace");

  // TokenReview and SubjectAccessReview, for the secure metrics endpoint.
  EXPECT_EQ(canI(sa, "create", "tokenreviews.authentication.k8s.io", "default"), "yes");
  EXPECT_EQ(canI(sa, "create", "subjectaccessreviews.authorization.k8s.io", "default"), "yes");

  GrantCheck grants = checkOperatorGrants(objects, "st-rbac", "st-servicetoken-operator");
  EXPECT_EQ(grants.roles, 3) << "the ClusterRole, the metrics-auth ClusterRole and the "
                                "release-namespace Role";
  EXPECT_THAT(grants.problems, IsEmpty());
}

TEST_F(ChartRbac, NamespacedOperatorReachesOnlyItsNamespaces) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("stn", "st-rbac-ns",
                             {"--set", "watchNamespaces={st-rbac-team,st-rbac-team2}"},
                             /*dryRun=*/false, &objects));
  const std::string sa = "system:serviceaccount:st-rbac-ns:stn-servicetoken-operator";
  expectCanIList(sa, "st-rbac-team", "namespaced-watched-namespace");
  expectCanIList(sa, "st-rbac-team2", "namespaced-watched-namespace");
  expectCanIList(sa, "default", "namespaced-other-namespace");
  EXPECT_EQ(canI(sa, "list", "secrets", "default"), "no");
  EXPECT_EQ(canI(sa, "list", "secrets", "st-rbac-team"), "yes");
  EXPECT_EQ(canI(sa, "list", "servicetokens.servicetoken.dev", "st-rbac-team2"), "yes");
  EXPECT_EQ(canI(sa, "list", "servicetokens.servicetoken.dev", "st-rbac"), "no");

  GrantCheck grants = checkOperatorGrants(objects, "st-rbac-ns", "stn-servicetoken-operator");
  EXPECT_EQ(grants.roles, 4) << "two watch Roles, the metrics-auth ClusterRole and the "
                                "release-namespace Role";
  EXPECT_THAT(grants.problems, IsEmpty());
}

TEST_F(ChartRbac, MetricsReaderMayGetMetricsAndNothingElse) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply(
      "stm", "st-rbac-mon",
      {"--set", "metrics.reader.subjects[0].kind=ServiceAccount", "--set",
       "metrics.reader.subjects[0].name=prometheus", "--set",
       "metrics.reader.subjects[0].namespace=st-rbac-mon", "--set", "userRoles.create=false"},
      /*dryRun=*/false, &objects));
  Json reader = findObject(objects, "ClusterRole", "stm-servicetoken-operator-metrics-reader");
  ASSERT_FALSE(reader.is_null());
  ASSERT_EQ(reader["rules"].size(), 1u);
  EXPECT_EQ(reader["rules"][0]["nonResourceURLs"], Json::array({"/metrics"}));
  EXPECT_EQ(reader["rules"][0]["verbs"], Json::array({"get"}));

  const auto canGet = [](const std::string& user, const std::string& url) {
    ProcessResult r = sharedControlPlane().kubectl({"auth", "can-i", "get", url, "--as", user});
    return r.out.substr(0, r.out.find('\n'));
  };
  const std::string prometheus = "system:serviceaccount:st-rbac-mon:prometheus";
  const std::string other = "system:serviceaccount:st-rbac-mon:other";
  EXPECT_EQ(canGet(prometheus, "/metrics"), "yes");
  EXPECT_EQ(canGet(other, "/metrics"), "no");
  EXPECT_EQ(canGet(prometheus, "/debug/pprof"), "no");
  EXPECT_EQ(canI(prometheus, "list", "secrets", "st-rbac-mon"), "no");
}

TEST_F(ChartRbac, GrantCheckFlagsDangerousRules) {
  // The control for the check above: it does find what it looks for.
  auto objects = [](const Json& rules) {
    return std::vector<Json>{
        {{"kind", "ClusterRole"}, {"metadata", {{"name", "r"}}}, {"rules", rules}},
        {{"kind", "ClusterRoleBinding"},
         {"metadata", {{"name", "b"}}},
         {"roleRef", {{"kind", "ClusterRole"}, {"name", "r"}}},
         {"subjects", {{{"kind", "ServiceAccount"}, {"name", "sa"}, {"namespace", "ns"}}}}}};
  };
  const Json safe = {{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get"}}}};
  EXPECT_THAT(checkOperatorGrants(objects(safe), "ns", "sa").problems, IsEmpty());
  EXPECT_EQ(checkOperatorGrants(objects(safe), "ns", "sa").roles, 1);
  EXPECT_EQ(checkOperatorGrants(objects(safe), "ns", "other").roles, 0);
  for (const char* verb : {"delete", "escalate", "bind", "impersonate", "*"}) {
    Json rules = {{{"apiGroups", {""}}, {"resources", {"secrets"}}, {"verbs", {"get", verb}}}};
    EXPECT_THAT(checkOperatorGrants(objects(rules), "ns", "sa").problems, Not(IsEmpty())) << verb;
  }
  Json wildcard = {{{"apiGroups", {"*"}}, {"resources", {"*"}}, {"verbs", {"get"}}}};
  EXPECT_EQ(checkOperatorGrants(objects(wildcard), "ns", "sa").problems.size(), 2u);
}

TEST_F(ChartRbac, UserRolesNeverReachSecrets) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-rbac", {}, /*dryRun=*/false, &objects));
  for (const char* role :
       {"servicetoken-viewer", "servicetoken-admin", "servicetoken-scim-admin"}) {
    Json r = findObject(objects, "ClusterRole", role);
    ASSERT_FALSE(r.is_null()) << role;
    for (const Json& rule : r["rules"]) {
      for (const Json& res : rule["resources"]) {
        EXPECT_NE(res, "secrets") << role;
        EXPECT_NE(res, "*") << role;
      }
    }
  }
  const std::string bindings = R"(
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: token-viewers, namespace: st-rbac}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: servicetoken-viewer}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: viewer-alice}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: token-admins, namespace: st-rbac}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: servicetoken-admin}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: admin-bob}]
)";
  ProcessResult r = sharedControlPlane().kubectl({"apply", "-f", "-"}, bindings);
  ASSERT_EQ(r.exitCode, 0) << r.err;

  // Positive controls first: the bindings work.
  EXPECT_EQ(canI("viewer-alice", "list", "servicetokens.servicetoken.dev", "st-rbac"), "yes");
  EXPECT_EQ(canI("viewer-alice", "get", "serviceusers.servicetoken.dev", "st-rbac"), "yes");
  EXPECT_EQ(canI("admin-bob", "create", "servicetokens.servicetoken.dev", "st-rbac"), "yes");
  EXPECT_EQ(canI("admin-bob", "delete", "serviceusers.servicetoken.dev", "st-rbac"), "yes");
  EXPECT_EQ(canI("admin-bob", "get", "servicetokens.servicetoken.dev", "st-rbac", true), "yes");

  EXPECT_EQ(canI("viewer-alice", "create", "servicetokens.servicetoken.dev", "st-rbac"), "no");
  EXPECT_EQ(canI("viewer-alice", "patch", "servicetokens.servicetoken.dev", "st-rbac", true), "no");
  for (const char* user : {"viewer-alice", "admin-bob"}) {
    SCOPED_TRACE(user);
    EXPECT_EQ(canI(user, "get", "secrets", "st-rbac"), "no");
    EXPECT_EQ(canI(user, "list", "secrets", "st-rbac"), "no");
    // A RoleBinding grants nothing outside its namespace.
    EXPECT_EQ(canI(user, "list", "servicetokens.servicetoken.dev", "default"), "no");
  }
}

}  // namespace
}  // namespace sttest::chart
