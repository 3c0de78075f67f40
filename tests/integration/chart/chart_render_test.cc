// The rendered chart is accepted by a real kube-apiserver (server-side dry
// run, strict field validation) with the defaults and with every optional
// feature, and the objects say what the chart promises: the Deployment runs
// the operator with leader election, secure metrics, probes, resources, its
// namespace from the downward API and replicas spread across nodes; the
// ServiceMonitor scrapes over HTTPS with a bearer token; the alerts watch
// overdue renewals and the operator itself; the dashboard ships as a Grafana
// sidecar ConfigMap; the `helm test` Pod probes /readyz through the Service;
// the NetworkPolicy opens only the metrics and probe ports; the NOTES example
// is a valid manifest. (That the alerts' and the dashboard's metrics are ones
// the operator exports is tests/e2e/operator/metrics_test.cc.)
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <map>
#include <set>
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
    for (const char* ns : {"st-render", "st-render-all", "team-a", "team-b"}) {
      ASSERT_TRUE(applyNamespace(ns));
    }
  }
};

TEST_F(ChartRender, DefaultsPassServerSideDryRun) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render", {}, /*dryRun=*/true, &objects));
  EXPECT_THAT(
      kindsOf(objects),
      IsSupersetOf({"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding",
                    "Service", "Deployment", "PodDisruptionBudget", "ValidatingAdmissionPolicy",
                    "ValidatingAdmissionPolicyBinding", "ConfigMap", "Pod"}));
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
  ASSERT_TRUE(renderAndApply(
      "st", "st-render-all",
      {"--set", "metrics.serviceMonitor.enabled=true", "--set",
       "metrics.prometheusRule.enabled=true", "--set", "networkPolicy.enabled=true", "--set",
       "watchNamespaces={team-a,team-b}", "--set", "metrics.certSecret=metrics-cert", "--set",
       "metrics.reader.subjects[0].kind=ServiceAccount", "--set",
       "metrics.reader.subjects[0].name=prometheus", "--set",
       "metrics.reader.subjects[0].namespace=monitoring"},
      /*dryRun=*/true, &objects));
  EXPECT_THAT(kindsOf(objects),
              IsSupersetOf({"ServiceMonitor", "PrometheusRule", "NetworkPolicy"}));
  // Namespaced mode: the watch rules are a Role in each of team-a and team-b,
  // not cluster-wide; only the metrics ClusterRoles are cluster-wide.
  EXPECT_TRUE(findObject(objects, "ClusterRole", "st-servicetoken-operator").is_null());
  EXPECT_TRUE(findObject(objects, "ClusterRoleBinding", "st-servicetoken-operator").is_null());
  std::vector<std::string> watchRoleNamespaces;
  for (const Json& o : objects) {
    if (o.value("kind", "") == "Role" &&
        o["metadata"].value("name", "") == "st-servicetoken-operator-watch") {
      watchRoleNamespaces.push_back(o["metadata"].value("namespace", ""));
    }
  }
  EXPECT_THAT(watchRoleNamespaces, ::testing::UnorderedElementsAre("team-a", "team-b"));
  Json deployment = findObject(objects, "Deployment", "st-servicetoken-operator");
  ASSERT_FALSE(deployment.is_null());
  const Json& pod = deployment["spec"]["template"]["spec"];
  EXPECT_THAT(stringsOf(pod["containers"][0]["args"]),
              IsSupersetOf({"--watch-namespace=team-a,team-b",
                            "--metrics-cert-dir=/etc/servicetoken/metrics-certs"}));
  // The certificate Secret is mounted where --metrics-cert-dir points.
  Json volume;
  for (const Json& v : pod["volumes"]) {
    if (v.value("name", "") == "metrics-certs") volume = v;
  }
  ASSERT_FALSE(volume.is_null());
  EXPECT_EQ(volume["secret"]["secretName"], "metrics-cert");
  bool mounted = false;
  for (const Json& m : pod["containers"][0]["volumeMounts"]) {
    mounted |= m.value("name", "") == "metrics-certs" &&
               m.value("mountPath", "") == "/etc/servicetoken/metrics-certs" &&
               m.value("readOnly", false);
  }
  EXPECT_TRUE(mounted);
  // Prometheus' ServiceAccount may get /metrics.
  Json readerBinding =
      findObject(objects, "ClusterRoleBinding", "st-servicetoken-operator-metrics-reader");
  ASSERT_FALSE(readerBinding.is_null());
  EXPECT_EQ(readerBinding["roleRef"]["name"], "st-servicetoken-operator-metrics-reader");
  EXPECT_EQ(readerBinding["subjects"][0]["name"], "prometheus");
  EXPECT_EQ(readerBinding["subjects"][0]["namespace"], "monitoring");
  // With a certificate Secret, the scrape verifies the server against its CA.
  Json monitor = findObject(objects, "ServiceMonitor");
  ASSERT_FALSE(monitor.is_null());
  const Json& tls = monitor["spec"]["endpoints"][0]["tlsConfig"];
  EXPECT_EQ(tls["ca"]["secret"]["name"], "metrics-cert");
  EXPECT_EQ(tls["ca"]["secret"]["key"], "ca.crt");
  EXPECT_EQ(tls["serverName"], "st-servicetoken-operator-metrics.st-render-all.svc");
  EXPECT_FALSE(tls.contains("insecureSkipVerify"));
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
                    "--leader-election-id=servicetoken-operator", "--metrics-bind-address=:8443",
                    "--metrics-secure=true", "--health-probe-bind-address=:8081",
                    "--log-format=json", "--signing-algorithm=EdDSA",
                    "--signing-key-secret=servicetoken-signing-keys",
                    "--jwks-configmap=servicetoken-jwks", "--signing-key-rotation-interval=90d",
                    "--signing-key-publish-delay=5m", "--signing-key-remints-per-second=10"}));
  for (const std::string& arg : stringsOf(c["args"])) {
    EXPECT_THAT(arg, Not(HasSubstr("--metrics-cert-dir"))) << "self-signed by default";
  }
  // Replicas spread across nodes when they can (ScheduleAnyway), counted per rollout.
  ASSERT_EQ(pod["topologySpreadConstraints"].size(), 1u);
  const Json& spread = pod["topologySpreadConstraints"][0];
  EXPECT_EQ(spread["topologyKey"], "kubernetes.io/hostname");
  EXPECT_EQ(spread["whenUnsatisfiable"], "ScheduleAnyway");
  EXPECT_EQ(spread["maxSkew"], 1);
  EXPECT_EQ(spread["labelSelector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);
  EXPECT_EQ(spread["matchLabelKeys"], Json::array({"pod-template-hash"}));
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
  // Liveness waits for the start: the start-up retries last up to 2 minutes.
  EXPECT_EQ(c["startupProbe"]["httpGet"]["path"], "/healthz");
  EXPECT_GE(c["startupProbe"]["periodSeconds"].get<int>() *
                c["startupProbe"]["failureThreshold"].get<int>(),
            120);
  EXPECT_EQ(c["ports"][0]["name"], "metrics");
  EXPECT_EQ(c["ports"][0]["containerPort"], 8443);
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

  Json pdb = findObject(objects, "PodDisruptionBudget", "st-servicetoken-operator");
  ASSERT_FALSE(pdb.is_null());
  EXPECT_EQ(pdb["spec"]["minAvailable"], 1);
  EXPECT_EQ(pdb["spec"]["selector"]["matchLabels"], deployment["spec"]["selector"]["matchLabels"]);

  // One replica: no PodDisruptionBudget (it would block every node drain).
  ASSERT_TRUE(renderAndApply("st", "st-render", {"--set", "replicaCount=1"}, true, &objects));
  EXPECT_TRUE(findObject(objects, "PodDisruptionBudget", "st-servicetoken-operator").is_null());

  // Spreading can be turned off.
  ASSERT_TRUE(renderAndApply("st", "st-render", {"--set", "topologySpreadConstraints=null"}, true,
                             &objects));
  deployment = findObject(objects, "Deployment", "st-servicetoken-operator");
  EXPECT_FALSE(deployment["spec"]["template"]["spec"].contains("topologySpreadConstraints"));
}

TEST_F(ChartRender, InsecureMetricsAreOptInAndDropTheMetricsRbac) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply(
      "st", "st-render",
      {"--set", "metrics.secure=false", "--set", "metrics.serviceMonitor.enabled=true"}, true,
      &objects));
  Json deployment = findObject(objects, "Deployment", "st-servicetoken-operator");
  ASSERT_FALSE(deployment.is_null());
  EXPECT_THAT(stringsOf(deployment["spec"]["template"]["spec"]["containers"][0]["args"]),
              Contains("--metrics-secure=false"));
  EXPECT_TRUE(
      findObject(objects, "ClusterRole", "st-servicetoken-operator-metrics-auth").is_null());
  EXPECT_TRUE(
      findObject(objects, "ClusterRole", "st-servicetoken-operator-metrics-reader").is_null());
  Json monitor = findObject(objects, "ServiceMonitor");
  ASSERT_FALSE(monitor.is_null());
  EXPECT_EQ(monitor["spec"]["endpoints"][0]["scheme"], "http");
  EXPECT_FALSE(monitor["spec"]["endpoints"][0].contains("bearerTokenFile"));
}

TEST_F(ChartRender, GrafanaDashboardShipsAsASidecarConfigMap) {
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render", {}, true, &objects));
  Json cm = findObject(objects, "ConfigMap", "st-servicetoken-operator-dashboard");
  ASSERT_FALSE(cm.is_null());
  EXPECT_EQ(cm["metadata"]["labels"]["grafana_dashboard"], "1");
  const std::string shipped = cm["data"]["servicetoken.json"];
  EXPECT_EQ(Json::parse(shipped),
            Json::parse(readFile(chartDir() + "/dashboards/servicetoken.json")));
  const Json dashboard = Json::parse(shipped);
  EXPECT_EQ(dashboard["uid"], "servicetoken-operator");
  std::vector<std::string> titles;
  for (const Json& p : dashboard["panels"]) titles.push_back(p.value("title", ""));
  EXPECT_THAT(titles, IsSupersetOf({"Tokens by readiness", "Expiry and renewal horizon",
                                    "Mints by reason", "Rotations", "Errors by reason",
                                    "Reconcile latency", "Queue latency", "Verifier decisions"}));
  // Every panel id is unique and every query names the data source variable.
  std::set<int> ids;
  for (const Json& p : dashboard["panels"]) {
    EXPECT_TRUE(ids.insert(p["id"].get<int>()).second) << p["title"];
    for (const Json& t : p.value("targets", Json::array())) {
      EXPECT_EQ(t["datasource"]["uid"], "${datasource}") << p["title"];
    }
  }

  // Elsewhere, or not at all.
  ASSERT_TRUE(renderAndApply("st", "st-render",
                             {"--set", "grafanaDashboard.namespace=team-a", "--set",
                              "grafanaDashboard.annotations.grafana_folder=Operators"},
                             true, &objects));
  cm = findObject(objects, "ConfigMap", "st-servicetoken-operator-dashboard");
  ASSERT_FALSE(cm.is_null());
  EXPECT_EQ(cm["metadata"]["namespace"], "team-a");
  EXPECT_EQ(cm["metadata"]["annotations"]["grafana_folder"], "Operators");
  ASSERT_TRUE(renderAndApply("st", "st-render", {"--set", "grafanaDashboard.enabled=false"}, true,
                             &objects));
  EXPECT_TRUE(findObject(objects, "ConfigMap", "st-servicetoken-operator-dashboard").is_null());
}

TEST_F(ChartRender, HelmTestPodProbesReadinessThroughTheService) {
  ProcessResult rendered =
      helmTemplate("st", "st-render", {"--show-only", "templates/tests/test-readyz.yaml"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  EXPECT_THAT(rendered.out, HasSubstr("helm.sh/hook: test"));
  std::vector<Json> objects;
  ASSERT_TRUE(renderAndApply("st", "st-render", {}, true, &objects));
  Json pod = findObject(objects, "Pod", "st-servicetoken-operator-test-readyz");
  Json service = findObject(objects, "Service", "st-servicetoken-operator-metrics");
  ASSERT_FALSE(pod.is_null());
  ASSERT_FALSE(service.is_null());
  EXPECT_EQ(pod["metadata"]["annotations"]["helm.sh/hook"], "test");
  EXPECT_EQ(pod["spec"]["restartPolicy"], "Never");
  EXPECT_EQ(pod["spec"]["automountServiceAccountToken"], false);
  const Json& c = pod["spec"]["containers"][0];
  EXPECT_EQ(c["image"], "ghcr.io/servicetoken-dev/servicetoken-operator:0.1.0");
  ASSERT_EQ(c["args"].size(), 2u);
  EXPECT_EQ(c["args"][0], "--probe");
  // The URL names the Service, in the release namespace, on its health port.
  Json healthPort;
  for (const Json& p : service["spec"]["ports"]) {
    if (p.value("name", "") == "health") healthPort = p;
  }
  ASSERT_FALSE(healthPort.is_null());
  EXPECT_EQ(healthPort["targetPort"], "health");
  EXPECT_EQ(c["args"][1], "http://st-servicetoken-operator-metrics.st-render.svc:" +
                              std::to_string(healthPort["port"].get<int>()) + "/readyz");
}

TEST_F(ChartRender, MonitoringObjectsUseTheOperatorsMetricsAndPorts) {
  std::vector<Json> objects;
  ASSERT_TRUE(
      renderAndApply("st", "st-render-all",
                     {"--set", "metrics.serviceMonitor.enabled=true", "--set",
                      "metrics.prometheusRule.enabled=true", "--set", "networkPolicy.enabled=true"},
                     true, &objects));

  // Alerts on overdue renewals rather than on healthy tokens near expiry,
  // and on the operator itself.
  Json prometheusRule = findObject(objects, "PrometheusRule");
  ASSERT_FALSE(prometheusRule.is_null());
  std::map<std::string, Json> alerts;
  for (const Json& group : prometheusRule["spec"]["groups"]) {
    for (const Json& r : group["rules"]) alerts[r.value("alert", "")] = r;
  }
  for (const char* name :
       {"ServiceTokenRenewalOverdue", "ServiceTokenExpiringWithoutRotation", "ServiceTokenNotReady",
        "ServiceTokenOperatorDown", "ServiceTokenOperatorNoLeader",
        "ServiceTokenSigningKeyRotationOverdue"}) {
    ASSERT_TRUE(alerts.count(name)) << name;
  }
  EXPECT_FALSE(alerts.count("ServiceTokenExpiringSoon")) << "a healthy token near expiry is fine";
  EXPECT_EQ(alerts["ServiceTokenRenewalOverdue"]["expr"],
            "max by (namespace, name) (servicetoken_renewal_timestamp_seconds) < time() - 3600");
  EXPECT_THAT(
      alerts["ServiceTokenExpiringWithoutRotation"]["expr"].get<std::string>(),
      AllOf(HasSubstr("servicetoken_expiration_timestamp_seconds"),
            HasSubstr("- time() < 7 * 24 * 3600"),
            HasSubstr("unless on (namespace, name) servicetoken_renewal_timestamp_seconds")));
  EXPECT_THAT(alerts["ServiceTokenNotReady"]["expr"].get<std::string>(),
              AllOf(HasSubstr("servicetoken_ready_status"), HasSubstr("== 0")));
  EXPECT_EQ(alerts["ServiceTokenNotReady"]["for"], "15m");
  // The operator alerts select the scrape job of the metrics Service.
  EXPECT_EQ(
      alerts["ServiceTokenOperatorDown"]["expr"],
      "absent(up{job=\"st-servicetoken-operator-metrics\", namespace=\"st-render-all\"} == 1)");
  EXPECT_EQ(alerts["ServiceTokenOperatorDown"]["for"], "5m");
  EXPECT_EQ(alerts["ServiceTokenOperatorDown"]["labels"]["severity"], "critical");
  EXPECT_THAT(alerts["ServiceTokenOperatorNoLeader"]["expr"].get<std::string>(),
              HasSubstr("leader_election_master_status{job=\"st-servicetoken-operator-metrics\""));
  // A signing-key rotation an hour past its schedule; 0 (on request only) never matches.
  EXPECT_EQ(alerts["ServiceTokenSigningKeyRotationOverdue"]["expr"],
            "time() - max(servicetoken_signing_key_rotation_due_timestamp_seconds{job=\"st-"
            "servicetoken-operator-metrics\", namespace=\"st-render-all\"} > 0) > 3600");

  // ServiceMonitor -> metrics Service -> operator pods.
  Json monitor = findObject(objects, "ServiceMonitor");
  Json service = findObject(objects, "Service", "st-servicetoken-operator-metrics");
  Json deployment = findObject(objects, "Deployment", "st-servicetoken-operator");
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
  // HTTPS with Prometheus' own token; the self-signed certificate is not verified.
  const Json& endpoint = monitor["spec"]["endpoints"][0];
  EXPECT_EQ(endpoint["scheme"], "https");
  EXPECT_EQ(endpoint["bearerTokenFile"], "/var/run/secrets/kubernetes.io/serviceaccount/token");
  EXPECT_EQ(endpoint["tlsConfig"]["insecureSkipVerify"], true);

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
