// The chart's servicetoken-verifier: a Deployment of 2 replicas running the
// verifier binary with flags it knows, a PodDisruptionBudget and a Service,
// admitted under Pod Security "restricted"; read-only RBAC plus patch on
// servicetokens/status and the JWKS ConfigMap by name, never Secrets
// (`kubectl auth can-i --list` equals expected-can-i-verifier-*.txt); the
// operator's --issuer-url defaults to the verifier's Service URL.
//
// After an intended RBAC change, regenerate the expected files with
//   ST_UPDATE_EXPECTED=1 ./integration_chart --gtest_filter='ChartVerifier.*'
// and review the diff.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "chart_support.h"

namespace sttest::chart {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using ::testing::Not;

constexpr const char* kVerifier = "st-servicetoken-operator-verifier";

std::vector<std::string> argsOf(const Json& deployment) {
  std::vector<std::string> out;
  for (const Json& a : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
    out.push_back(a.get<std::string>());
  }
  return out;
}

class ChartVerifier : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(installChartCrds());
    for (const char* ns : {"st-verifier", "st-verifier-rbac", "st-verifier-ns", "st-verifier-team",
                           "st-verifier-psa"}) {
      ASSERT_TRUE(applyNamespace(ns));
    }
  }

  static void expectCanIList(const std::string& user, const std::string& ns,
                             const std::string& name) {
    chart::expectCanIList(user, ns, name, "the verifier's ServiceAccount",
                          "tests/integration/chart/chart_verifier_test.cc");
  }
};

TEST_F(ChartVerifier, DeploymentServiceAndPdbPassServerSideDryRun) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-verifier", {}, /*dryRun=*/true, &objects));
  Json d = findObject(objects, "Deployment", kVerifier);
  ASSERT_FALSE(d.is_null());
  EXPECT_EQ(d["spec"]["replicas"], 2);
  const Json& container = d["spec"]["template"]["spec"]["containers"][0];
  EXPECT_EQ(container["command"][0], "/usr/local/bin/servicetoken-verifier");
  EXPECT_EQ(d["spec"]["template"]["spec"]["serviceAccountName"], kVerifier);
  EXPECT_THAT(argsOf(d),
              IsSupersetOf({"--namespace=$(POD_NAMESPACE)", "--bind-address=:8443",
                            "--audience=servicetoken.dev", "--jwks-configmap=servicetoken-jwks"}));
  EXPECT_EQ(container["readinessProbe"]["httpGet"]["path"], "/readyz");

  Json pdb = findObject(objects, "PodDisruptionBudget", kVerifier);
  ASSERT_FALSE(pdb.is_null());
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"], d["spec"]["selector"]["matchLabels"]);
  Json service = findObject(objects, "Service", kVerifier);
  ASSERT_FALSE(service.is_null());
  EXPECT_EQ(service["spec"]["selector"], d["spec"]["selector"]["matchLabels"]);
  EXPECT_EQ(service["spec"]["ports"][0]["port"], 443);

  // The operator's pods are not selected by the verifier's objects, and the
  // reverse.
  Json op = findObject(objects, "Deployment", "st-servicetoken-operator");
  ASSERT_FALSE(op.is_null());
  EXPECT_NE(op["spec"]["selector"]["matchLabels"], d["spec"]["selector"]["matchLabels"]);

  // Both sign and check the same issuer: the verifier's Service URL.
  const std::string issuer =
      "--issuer-url=https://st-servicetoken-operator-verifier.st-verifier.svc";
  EXPECT_THAT(argsOf(op), Contains(issuer));
  EXPECT_THAT(argsOf(d), Contains(issuer));
}

TEST_F(ChartVerifier, TlsMountsTheSecretAndPassesTheFiles) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-verifier", {"--set", "verifier.tls.secretName=verifier-tls"},
                             /*dryRun=*/true, &objects));
  Json d = findObject(objects, "Deployment", kVerifier);
  ASSERT_FALSE(d.is_null());
  EXPECT_THAT(argsOf(d),
              IsSupersetOf({"--tls-cert-file=/etc/servicetoken-verifier/tls/tls.crt",
                            "--tls-private-key-file=/etc/servicetoken-verifier/tls/tls.key"}));
  bool mounted = false;
  for (const Json& v : d["spec"]["template"]["spec"]["volumes"]) {
    mounted |= v.contains("secret") && v["secret"]["secretName"] == "verifier-tls";
  }
  EXPECT_TRUE(mounted);
  EXPECT_EQ(findObject(objects, "Service", kVerifier)["spec"]["ports"][0]["name"], "https");
}

TEST_F(ChartVerifier, DisabledRendersNoVerifierAndTheOldIssuer) {
  ProcessResult r = helmTemplate("st", "st-verifier", {"--set", "verifier.enabled=false"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("servicetoken-verifier")));
  EXPECT_THAT(r.out, HasSubstr("--issuer-url=https://servicetoken.dev"));
  r = helmTemplate("st", "st-verifier", {"--set", "token.issuerUrl=https://auth.example.com"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, Not(HasSubstr("--issuer-url=https://st-servicetoken-operator-verifier")));
  r = helmTemplate("st", "st-verifier", {"--set", "verifier.leewaySeconds=61"});
  EXPECT_NE(r.exitCode, 0);
}

TEST_F(ChartVerifier, VerifierFlagsAreOnesTheVerifierBinaryKnows) {
  const std::string binary = std::string(ST_BINARY_DIR) + "/bin/servicetoken-verifier";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "not built: " << binary;
  ProcessResult help = runProcess({binary, "--help"});
  ASSERT_EQ(help.exitCode, 0) << help.err;
  ProcessResult r =
      helmTemplate("st", "st-system",
                   {"--set", "watchNamespaces[0]=team-a", "--set", "verifier.tls.secretName=t",
                    "--show-only", "templates/verifier-deployment.yaml"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::regex argLine(R"(^\s*- (--[a-z-]+)(=.*)?$)");
  const int flags = expectArgsAreKnownFlags(r.out, help.out, argLine);
  EXPECT_GE(flags, 14);
}

TEST_F(ChartVerifier, PodIsAdmittedUnderRestricted) {
  ASSERT_EQ(sharedControlPlane()
                .kubectl({"label", "--overwrite", "namespace", "st-verifier-psa",
                          "pod-security.kubernetes.io/enforce=restricted",
                          "pod-security.kubernetes.io/warn=restricted"})
                .exitCode,
            0);
  ProcessResult rendered = helmTemplate(
      "st", "st-verifier-psa",
      {"--set", "verifier.tls.secretName=t", "--show-only", "templates/verifier-deployment.yaml"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  ProcessResult r = sharedControlPlane().kubectl(
      {"apply", "--dry-run=server", "-o", "json", "-f", "-"}, rendered.out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.err, Not(HasSubstr("PodSecurity")));
  std::vector<Json> objects = objectsOf(r.out);
  ASSERT_EQ(objects.size(), 1u);
  const Json& tpl = objects[0]["spec"]["template"];
  Json pod = {{"apiVersion", "v1"},
              {"kind", "Pod"},
              {"metadata",
               {{"name", "verifier-pod"},
                {"namespace", "st-verifier-psa"},
                {"labels", tpl["metadata"]["labels"]}}},
              {"spec", tpl["spec"]}};
  ProcessResult created =
      sharedControlPlane().kubectl({"create", "--dry-run=server", "-f", "-"}, pod.dump());
  EXPECT_EQ(created.exitCode, 0) << created.err;
  EXPECT_THAT(created.err, Not(HasSubstr("PodSecurity")));
  // The control: the same pod with privilege escalation is refused.
  pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = true;
  EXPECT_NE(
      sharedControlPlane().kubectl({"create", "--dry-run=server", "-f", "-"}, pod.dump()).exitCode,
      0);
}

TEST_F(ChartVerifier, ClusterWideVerifierCanDoExactlyWhatItNeeds) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-verifier-rbac", {}, /*dryRun=*/false, &objects));
  const std::string sa = "system:serviceaccount:st-verifier-rbac:" + std::string(kVerifier);
  expectCanIList(sa, "st-verifier-rbac", "verifier-cluster-wide-release-namespace");
  expectCanIList(sa, "default", "verifier-cluster-wide-other-namespace");
  EXPECT_EQ(canI(sa, "get", "secrets", "st-verifier-rbac"), "no");
  EXPECT_EQ(canI(sa, "patch", "servicetokens.servicetoken.dev", "default", true), "yes");
  EXPECT_EQ(canI(sa, "patch", "servicetokens.servicetoken.dev", "default"), "no");
  EXPECT_EQ(canI(sa, "watch", "configmaps/servicetoken-jwks", "st-verifier-rbac"), "yes");
  EXPECT_EQ(canI(sa, "get", "configmaps/other", "st-verifier-rbac"), "no");
}

TEST_F(ChartVerifier, NamespacedVerifierReachesOnlyItsNamespaces) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("stn", "st-verifier-ns",
                             {"--set", "watchNamespaces[0]=st-verifier-team"},
                             /*dryRun=*/false, &objects));
  const std::string sa = "system:serviceaccount:st-verifier-ns:stn-servicetoken-operator-verifier";
  expectCanIList(sa, "st-verifier-team", "verifier-namespaced-watched-namespace");
  EXPECT_EQ(canI(sa, "list", "servicetokens.servicetoken.dev", "default"), "no");
  EXPECT_EQ(canI(sa, "list", "servicetokens.servicetoken.dev", "st-verifier-team"), "yes");
}

}  // namespace
}  // namespace sttest::chart
