// The rendered chart is accepted by a real kube-apiserver (server-side dry
// run, strict field validation) with the defaults and with every optional
// feature, and the objects say what the chart promises: the Deployment runs
// the operator with leader election, probes, resources and its namespace from
// the downward API; the alerts use the metrics the operator exports; the
// NetworkPolicy opens only the metrics and probe ports; the NOTES example is a
// valid manifest.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "chart_support.h"

namespace sttest::chart {
namespace {

using ::testing::AllOf;
using ::testing::Contains;
using ::testing::HasSubstr;
using ::testing::IsSupersetOf;
using ::testing::Not;

const std::string kMonitoringCrds = testDataDir() + "/testdata/monitoring-crds";

std::vector<std::string> stringsOf(const Json& array) {
  std::vector<std::string> out;
  for (const Json& v : array) out.push_back(v.is_string() ? v.get<std::string>() : v.dump());
  return out;
}

class ChartRender : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(installChartCrds());
    ASSERT_TRUE(installCrds(kMonitoringCrds));
    for (const char* ns : {"st-render", "st-render-all", "team-a"}) ASSERT_TRUE(applyNamespace(ns));
  }
};

TEST_F(ChartRender, DefaultsPassServerSideDryRun) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render", {}, /*dryRun=*/true, &objects));
  EXPECT_THAT(kindsOf(objects),
              IsSupersetOf({"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role",
                            "RoleBinding", "Service", "Deployment", "PodDisruptionBudget",
                            "ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding"}));
  EXPECT_THAT(kindsOf(objects),
              AllOf(Not(Contains("ServiceMonitor")), Not(Contains("PrometheusRule")),
                    Not(Contains("NetworkPolicy"))));
  // Nothing was created: it was a dry run.
  ProcessResult r =
      sharedControlPlane().kubectl({"get", "deployments,serviceaccounts", "-n", "st-render", "-o",
                                    "name", "-l", "app.kubernetes.io/instance=st"});
  EXPECT_EQ(r.out, "") << r.err;
}

TEST_F(ChartRender, EveryOptionalFeaturePassesServerSideDryRun) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render-all",
                             {"--set", "metrics.serviceMonitor.enabled=true", "--set",
                              "metrics.prometheusRule.enabled=true", "--set",
                              "networkPolicy.enabled=true", "--set", "watchNamespaces[0]=team-a"},
                             /*dryRun=*/true, &objects));
  EXPECT_THAT(kindsOf(objects),
              IsSupersetOf({"ServiceMonitor", "PrometheusRule", "NetworkPolicy"}));
  // Namespaced mode: the watch rules are a Role in team-a, not cluster-wide.
  EXPECT_THAT(kindsOf(objects), Not(Contains("ClusterRoleBinding")));
  EXPECT_TRUE(findObject(objects, "ClusterRole", "st-servicetoken-operator").is_null());
  Json watchRole = findObject(objects, "Role", "st-servicetoken-operator-watch");
  ASSERT_FALSE(watchRole.is_null());
  EXPECT_EQ(watchRole["metadata"]["namespace"], "team-a");
  Json deployment = findObject(objects, "Deployment");
  ASSERT_FALSE(deployment.is_null());
  EXPECT_THAT(stringsOf(deployment["spec"]["template"]["spec"]["containers"][0]["args"]),
              Contains("--watch-namespace=team-a"));
}

TEST_F(ChartRender, StandInMonitoringCrdsRejectAMisspelledField) {
  // The control for the dry run above: the stand-in CRDs do check fields.
  ProcessResult rendered = helmTemplate("st", "st-render-all",
                                        {"--set", "metrics.serviceMonitor.enabled=true",
                                         "--show-only", "templates/servicemonitor.yaml"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  std::string misspelled = rendered.out;
  misspelled.replace(misspelled.find("honorLabels"), 11, "honourLabels");
  ProcessResult r =
      sharedControlPlane().kubectl({"apply", "--dry-run=server", "-f", "-"}, misspelled);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("honourLabels"));
}

TEST_F(ChartRender, DeploymentRunsTheOperatorAsSpecified) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render", {}, /*dryRun=*/true, &objects));
  Json deployment = findObject(objects, "Deployment", "st-servicetoken-operator");
  ASSERT_FALSE(deployment.is_null());
  EXPECT_EQ(deployment["spec"]["replicas"], 2);
  const Json& pod = deployment["spec"]["template"]["spec"];
  EXPECT_EQ(pod["serviceAccountName"], "st-servicetoken-operator");
  EXPECT_EQ(pod["automountServiceAccountToken"], true);
  ASSERT_EQ(pod["containers"].size(), 1u);
  const Json& c = pod["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/servicetoken-dev/servicetoken-operator:0.1.0");
  EXPECT_THAT(
      stringsOf(c["args"]),
      IsSupersetOf({"--namespace=$(POD_NAMESPACE)", "--leader-elect",
                    "--leader-election-id=servicetoken-operator", "--metrics-bind-address=:8080",
                    "--health-probe-bind-address=:8081", "--log-format=json",
                    "--signing-algorithm=EdDSA", "--signing-key-secret=servicetoken-signing-keys",
                    "--jwks-configmap=servicetoken-jwks"}));
  for (const std::string& arg : stringsOf(c["args"])) {
    EXPECT_THAT(arg, Not(HasSubstr("--watch-namespace"))) << "watches all namespaces by default";
  }
  Json podNamespace;
  for (const Json& e : c["env"]) {
    if (e["name"] == "POD_NAMESPACE") podNamespace = e;
  }
  EXPECT_EQ(podNamespace["valueFrom"]["fieldRef"]["fieldPath"], "metadata.namespace");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_EQ(c["livenessProbe"]["httpGet"]["port"], "health");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["path"], "/readyz");
  EXPECT_EQ(c["readinessProbe"]["httpGet"]["port"], "health");
  EXPECT_EQ(c["ports"][1]["name"], "health");
  EXPECT_EQ(c["ports"][1]["containerPort"], 8081);
  for (const char* kind : {"requests", "limits"}) {
    EXPECT_TRUE(c["resources"][kind].contains("cpu")) << kind;
    EXPECT_TRUE(c["resources"][kind].contains("memory")) << kind;
  }
  const Json& sc = c["securityContext"];
  EXPECT_EQ(sc["allowPrivilegeEscalation"], false);
  EXPECT_EQ(sc["readOnlyRootFilesystem"], true);
  EXPECT_EQ(sc["capabilities"]["drop"], Json::array({"ALL"}));
  EXPECT_EQ(pod["securityContext"]["runAsNonRoot"], true);
  EXPECT_EQ(pod["securityContext"]["runAsUser"], 65532);
  EXPECT_EQ(pod["securityContext"]["seccompProfile"]["type"], "RuntimeDefault");

  Json pdb = findObject(objects, "PodDisruptionBudget");
  ASSERT_FALSE(pdb.is_null());
  EXPECT_EQ(pdb["spec"]["minAvailable"], 1);
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);

  // One replica: no PodDisruptionBudget (it would block every node drain).
  ASSERT_TRUE(renderAndApply("st", "st-render", {"--set", "replicaCount=1"}, true, &objects));
  EXPECT_THAT(kindsOf(objects), Not(Contains("PodDisruptionBudget")));
}

TEST_F(ChartRender, MonitoringObjectsUseTheOperatorsMetricsAndPorts) {
  std::vector<Json> objects;
  ASSERT_TRUE(
      renderAndApply("st", "st-render-all",
                     {"--set", "metrics.serviceMonitor.enabled=true", "--set",
                      "metrics.prometheusRule.enabled=true", "--set", "networkPolicy.enabled=true"},
                     true, &objects));

  // Alerts on the series the operator exports.
  Json prometheusRule = findObject(objects, "PrometheusRule");
  ASSERT_FALSE(prometheusRule.is_null());
  std::map<std::string, Json> alerts;
  for (const Json& r : prometheusRule["spec"]["groups"][0]["rules"])
    alerts[r.value("alert", "")] = r;
  ASSERT_TRUE(alerts.count("ServiceTokenExpiringSoon"));
  ASSERT_TRUE(alerts.count("ServiceTokenNotReady"));
  EXPECT_THAT(alerts["ServiceTokenExpiringSoon"]["expr"].get<std::string>(),
              AllOf(HasSubstr("servicetoken_expiration_timestamp_seconds"),
                    HasSubstr("- time() < 7 * 24 * 3600")));
  EXPECT_THAT(alerts["ServiceTokenNotReady"]["expr"].get<std::string>(),
              AllOf(HasSubstr("servicetoken_ready_status"), HasSubstr("== 0")));
  EXPECT_EQ(alerts["ServiceTokenNotReady"]["for"], "15m");
  std::string sources;
  for (const auto& f :
       std::filesystem::recursive_directory_iterator(std::string(ST_SOURCE_DIR) + "/reconcilers")) {
    if (f.path().extension() == ".cc") sources += readFile(f.path().string());
  }
  for (const char* metric :
       {"servicetoken_expiration_timestamp_seconds", "servicetoken_ready_status"}) {
    EXPECT_THAT(sources, HasSubstr(std::string("\"") + metric + "\""))
        << metric << " is not a metric the operator exports";
  }

  // ServiceMonitor -> metrics Service -> operator pods.
  Json monitor = findObject(objects, "ServiceMonitor");
  Json service = findObject(objects, "Service", "st-servicetoken-operator-metrics");
  Json deployment = findObject(objects, "Deployment");
  ASSERT_FALSE(monitor.is_null());
  ASSERT_FALSE(service.is_null());
  ASSERT_FALSE(deployment.is_null());
  for (const auto& [k, v] : monitor["spec"]["selector"]["matchLabels"].items()) {
    EXPECT_EQ(service["metadata"]["labels"][k], v) << k;
  }
  for (const auto& [k, v] : service["spec"]["selector"].items()) {
    EXPECT_EQ(deployment["spec"]["template"]["metadata"]["labels"][k], v) << k;
  }
  EXPECT_EQ(monitor["spec"]["endpoints"][0]["port"], service["spec"]["ports"][0]["name"]);
  EXPECT_EQ(service["spec"]["ports"][0]["targetPort"], "metrics");

  // NetworkPolicy: in, only the metrics and probe ports; out, only the API server.
  Json policy = findObject(objects, "NetworkPolicy");
  ASSERT_FALSE(policy.is_null());
  std::vector<std::string> ingressPorts, egressPorts;
  for (const Json& rule : policy["spec"]["ingress"]) {
    ASSERT_TRUE(rule.contains("ports")) << "an ingress rule without ports opens every port";
    for (const Json& p : rule["ports"]) ingressPorts.push_back(p["port"].dump());
  }
  for (const Json& rule : policy["spec"]["egress"]) {
    ASSERT_TRUE(rule.contains("ports")) << "an egress rule without ports opens every port";
    for (const Json& p : rule["ports"]) egressPorts.push_back(p["port"].dump());
  }
  EXPECT_THAT(ingressPorts, ::testing::UnorderedElementsAre("\"metrics\"", "\"health\""));
  EXPECT_THAT(egressPorts, ::testing::UnorderedElementsAre("443", "6443"));
}

TEST_F(ChartRender, NotesShowAValidServiceTokenAndTheDownloadCommand) {
  // NOTES.txt is rendered only by install; a client-side dry run renders it.
  ProcessResult r = helm({"install", "notes", chartDir(), "--dry-run=client", "--namespace",
                          "st-render", "--kubeconfig", sharedControlPlane().kubeconfig(), "--set",
                          "userRoles.create=false", "--set", "watchNamespaces[0]=team-a"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string notes = r.out.substr(r.out.find("NOTES:"));
  EXPECT_THAT(notes, HasSubstr("kubectl servicetoken download airflow -n team-a"));
  const std::string open = "kubectl apply -n team-a -f - <<'YAML'\n";
  const size_t begin = notes.find(open);
  ASSERT_NE(begin, std::string::npos) << notes;
  const size_t end = notes.find("\nYAML\n", begin);
  ASSERT_NE(end, std::string::npos) << notes;
  const std::string manifest = notes.substr(begin + open.size(), end - begin - open.size());
  ProcessResult applied = sharedControlPlane().kubectl(
      {"apply", "--dry-run=server", "-n", "team-a", "-f", "-"}, manifest);
  EXPECT_EQ(applied.exitCode, 0) << applied.err << manifest;
  EXPECT_THAT(applied.out, HasSubstr("servicetoken.servicetoken.dev/airflow created"));
  EXPECT_THAT(applied.out, HasSubstr("serviceuser.servicetoken.dev/airflow created"));
}

}  // namespace
}  // namespace sttest::chart
