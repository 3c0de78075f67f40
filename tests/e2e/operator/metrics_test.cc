// The real servicetoken-operator binary, authenticated only as the chart's
// ServiceAccount with the chart's RBAC, serves /metrics over HTTPS with its
// self-signed certificate: a ServiceAccount bound to the chart's
// metrics-reader ClusterRole gets 200, one without gets 403, no token 401.
// Every metric the chart's Grafana dashboard and PrometheusRule query is one
// the binaries export: the operator's scrape (after one token is Active) or
// the real servicetoken-verifier's (started against the same plane). And
// `--probe`, which the chart's `helm test` Pod runs, succeeds against the
// running operator's /readyz.
//
// Tokens are never printed: failures show status codes and metric names only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "controller/transport.h"
#include "e2e_cluster.h"
#include "poll.h"

namespace sttest::e2e {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::IsSupersetOf;
using namespace std::chrono_literals;

constexpr const char* kNs = "e2e-metrics";
constexpr const char* kReaderRole = "st-servicetoken-operator-metrics-reader";

// Series Prometheus makes itself, not the operator.
const std::set<std::string> kPrometheusSeries = {"up"};

std::string verifierBinary() { return std::string(ST_BINARY_DIR) + "/bin/servicetoken-verifier"; }

const char* const kManifests = R"(apiVersion: servicetoken.dev/v1alpha1
kind: ServiceUser
metadata: {name: scraper, namespace: e2e-metrics}
spec:
  displayName: Metrics Scraper
---
apiVersion: servicetoken.dev/v1alpha1
kind: ServiceToken
metadata: {name: scraper, namespace: e2e-metrics}
spec:
  displayName: Metrics Scraper
  type: Service
  serviceUserRef: {name: scraper}
  expiration: 30d
)";

// The metric names a PromQL expression reads: identifiers that are not
// functions, keywords, label names (inside {} or by/on/without/ignoring
// lists), range or duration selectors, strings or Grafana variables.
std::set<std::string> metricNamesIn(std::string expr) {
  static const std::regex kStrings(R"("([^"\\]|\\.)*")");
  static const std::regex kBraces(R"(\{[^}]*\})");
  static const std::regex kBrackets(R"(\[[^\]]*\])");
  static const std::regex kLabelLists(
      R"(\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\))");
  static const std::regex kIdentifier(R"([a-zA-Z_:][a-zA-Z0-9_:]*)");
  static const std::set<std::string> kKeywords = {
      "by", "without", "on", "ignoring", "bool", "offset", "and", "or", "unless", "inf", "nan"};
  for (const std::regex* r : {&kStrings, &kBraces, &kBrackets, &kLabelLists}) {
    expr = std::regex_replace(expr, *r, " ");
  }
  std::set<std::string> names;
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), kIdentifier);
       it != std::sregex_iterator(); ++it) {
    const std::string name = it->str();
    const size_t end = static_cast<size_t>(it->position() + it->length());
    const size_t next = expr.find_first_not_of(' ', end);
    const bool isCall = next != std::string::npos && expr[next] == '(';
    const bool isVariable =
        it->position() > 0 && expr[static_cast<size_t>(it->position()) - 1] == '$';
    if (isCall || isVariable || kKeywords.count(name)) continue;
    names.insert(name);
  }
  return names;
}

// The metric families in a Prometheus text scrape, by name, with their type.
std::map<std::string, std::string> familiesIn(const std::string& scrape) {
  std::map<std::string, std::string> families;
  std::istringstream lines(scrape);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string hash, keyword, name, type;
    if (words >> hash >> keyword >> name >> type && hash == "#" && keyword == "TYPE") {
      families[name] = type;
    }
  }
  return families;
}

// Whether `name` (a series name in a query) is exported by a family of
// `families`: the family itself, or a histogram's _bucket/_sum/_count.
bool exported(const std::string& name, const std::map<std::string, std::string>& families) {
  if (families.count(name)) return true;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      auto it = families.find(name.substr(0, name.size() - s.size()));
      if (it != families.end() && (it->second == "histogram" || it->second == "summary")) {
        return true;
      }
    }
  }
  return false;
}

// Every `expr` of the dashboard's panels.
std::vector<std::string> dashboardQueries() {
  std::vector<std::string> out;
  const Json dashboard = Json::parse(readText(chartDir() + "/dashboards/servicetoken.json"));
  for (const Json& panel : dashboard.value("panels", Json::array())) {
    for (const Json& target : panel.value("targets", Json::array())) {
      out.push_back(target.value("expr", ""));
    }
  }
  return out;
}

// Every alert `expr` of the chart's PrometheusRule, as rendered.
std::vector<std::string> alertQueries() {
  ProcessResult r =
      runProcess({ControlPlane::helmPath(), "template", kRelease, chartDir(), "--namespace",
                  kOperatorNamespace, "--set", "metrics.prometheusRule.enabled=true", "--show-only",
                  "templates/prometheusrule.yaml"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::vector<std::string> out;
  const YAML::Node rule = YAML::Load(r.out);
  for (const auto& group : rule["spec"]["groups"]) {
    for (const auto& alert : group["rules"]) out.push_back(alert["expr"].as<std::string>());
  }
  return out;
}

TEST(PromqlNames, FindsMetricsAndSkipsFunctionsLabelsAndVariables) {
  EXPECT_THAT(metricNamesIn("histogram_quantile(0.99, sum by (le, controller) "
                            "(rate(controller_runtime_reconcile_time_seconds_bucket"
                            "[$__rate_interval])))"),
              ElementsAre("controller_runtime_reconcile_time_seconds_bucket"));
  EXPECT_THAT(metricNamesIn("(max by (namespace, name) (a_seconds{namespace=~\"$namespace\"}) "
                            "- time() < 7 * 24 * 3600) unless on (namespace, name) b_seconds"),
              ElementsAre("a_seconds", "b_seconds"));
  EXPECT_THAT(metricNamesIn("absent(up{job=\"x\", namespace=\"y\"} == 1)"), ElementsAre("up"));
  EXPECT_THAT(metricNamesIn("count(x_total == 0) or vector(0)"), ElementsAre("x_total"));
}

TEST(ExportedFamilies, HistogramSeriesCountAsTheirFamily) {
  const auto families = familiesIn(
      "# HELP h_seconds h\n# TYPE h_seconds histogram\nh_seconds_bucket{le=\"1\"} 0\n"
      "# TYPE c_total counter\nc_total 1\n");
  EXPECT_TRUE(exported("h_seconds_bucket", families));
  EXPECT_TRUE(exported("h_seconds_count", families));
  EXPECT_TRUE(exported("c_total", families));
  EXPECT_FALSE(exported("c_total_bucket", families)) << "a counter has no buckets";
  EXPECT_FALSE(exported("servicetoken_bogus_total", families));
}

class E2eMetrics : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(c_.error(), "");
    ASSERT_EQ(
        c_.kubectl({"apply", "-f", "-"},
                   "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: " + std::string(kNs) + "\n")
            .exitCode,
        0);
    for (const char* sa : {"prometheus", "intruder"}) {
      c_.kubectl({"create", "serviceaccount", sa, "-n", kNs});
    }
    // The chart's metrics-reader ClusterRole (installed with the chart's
    // RBAC), bound to prometheus as metrics.reader.subjects would.
    c_.kubectl({"create", "clusterrolebinding", "e2e-metrics-reader",
                std::string("--clusterrole=") + kReaderRole,
                std::string("--serviceaccount=") + kNs + ":prometheus"});
  }

  std::string tokenFor(const std::string& sa) {
    ProcessResult r = c_.kubectl({"create", "token", sa, "-n", kNs, "--duration=1h"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    std::string token = r.out;
    while (!token.empty() && token.back() == '\n') token.pop_back();
    return token;
  }

  // The port the operator logged for its metrics (or probe) server; 0 until then.
  static int servedPort(const OperatorProcess& op, bool metrics) {
    for (const Json& r : recordsWithMessage(op.logLines(), "Serving HTTP")) {
      const Json flag = r.value("metrics", Json());
      const bool isMetrics = flag == true || flag == "true";
      if (isMetrics == metrics) return static_cast<int>(intField(r, "port"));
    }
    return 0;
  }

  // GET https://127.0.0.1:port/metrics with `token`, trusting any
  // certificate (the operator's is self-signed, as in the chart's default).
  static ctrl::StatusOr<ctrl::HttpResponse> scrape(int port, const std::string& token) {
    ctrl::RestConfig config;
    config.server = "https://127.0.0.1:" + std::to_string(port);
    config.insecureSkipTlsVerify = true;
    if (!token.empty()) config.bearerToken = [token] { return token; };
    auto transport = ctrl::makeCppRestTransport(config);
    if (!transport.isOk()) return transport.status();
    ctrl::HttpRequest request;
    request.target = "/metrics";
    return (*transport)->send(request);
  }

  // A plain-HTTP GET on 127.0.0.1:port.
  static ctrl::StatusOr<ctrl::HttpResponse> plainGet(int port, const std::string& target) {
    ctrl::RestConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(port);
    auto transport = ctrl::makeCppRestTransport(config);
    if (!transport.isOk()) return transport.status();
    ctrl::HttpRequest request;
    request.target = target;
    return (*transport)->send(request);
  }

  E2eCluster c_;
};

TEST_F(E2eMetrics, ScrapesAreAuthorizedAndExportEveryQueriedMetric) {
  OperatorProcess& op = c_.startOperator("operator", {"--leader-elect"});
  int metricsPort = 0, probePort = 0;
  ASSERT_TRUE(eventually(
      [&] {
        metricsPort = servedPort(op, true);
        probePort = servedPort(op, false);
        return metricsPort > 0 && probePort > 0;
      },
      60s))
      << op.logText();
  ASSERT_EQ(c_.kubectl({"apply", "-f", "-"}, kManifests).exitCode, 0);
  ASSERT_TRUE(eventually(
      [&] { return c_.jsonpath("servicetoken", "scraper", kNs, ".status.phase") == "Active"; },
      120s))
      << op.logText();

  // Authorization: allowed, forbidden, unauthenticated.
  const std::string reader = tokenFor("prometheus");
  ctrl::StatusOr<ctrl::HttpResponse> allowed = scrape(metricsPort, reader);
  ASSERT_TRUE(allowed.isOk()) << allowed.status().toString();
  ASSERT_EQ(allowed->status, 200);
  ctrl::StatusOr<ctrl::HttpResponse> forbidden = scrape(metricsPort, tokenFor("intruder"));
  ASSERT_TRUE(forbidden.isOk()) << forbidden.status().toString();
  EXPECT_EQ(forbidden->status, 403);
  ctrl::StatusOr<ctrl::HttpResponse> anonymous = scrape(metricsPort, "");
  ASSERT_TRUE(anonymous.isOk()) << anonymous.status().toString();
  EXPECT_EQ(anonymous->status, 401);

  // The per-token gauges carry the token once it is Active (the leader
  // exports them after its first reconcile of it).
  std::map<std::string, std::string> families;
  ASSERT_TRUE(eventually(
      [&] {
        auto s = scrape(metricsPort, reader);
        if (!s.isOk() || s->status != 200) return false;
        families = familiesIn(s->body);
        return families.count("servicetoken_renewal_timestamp_seconds") > 0;
      },
      60s));

  std::set<std::string> queried;
  for (const std::string& expr : dashboardQueries()) {
    for (const std::string& name : metricNamesIn(expr)) queried.insert(name);
  }
  const size_t fromDashboard = queried.size();
  for (const std::string& expr : alertQueries()) {
    for (const std::string& name : metricNamesIn(expr)) queried.insert(name);
  }
  // Not vacuous: the dashboard and the alerts name what they are meant to.
  EXPECT_GE(fromDashboard, 15u);
  EXPECT_THAT(
      queried,
      IsSupersetOf(
          {"servicetoken_renewal_timestamp_seconds", "servicetoken_expiration_timestamp_seconds",
           "servicetoken_ready_status", "servicetoken_mint_total", "servicetoken_rotation_total",
           "servicetoken_errors_total", "controller_runtime_reconcile_time_seconds_bucket",
           "workqueue_queue_duration_seconds_bucket", "leader_election_master_status", "up"}));

  // The verifier's series come from the verifier: run the real binary against
  // the same plane (the operator has published the JWKS it reads) and scrape
  // its /metrics too.
  ChildProcess verifier(
      {verifierBinary(), "--kubeconfig", c_.plane().kubeconfig(), "--namespace", kOperatorNamespace,
       "--bind-address", "127.0.0.1:0", "--metrics-bind-address", "127.0.0.1:0",
       "--health-probe-bind-address", "0", "--log-format", "json"},
      c_.dir() + "/verifier.log");
  int verifierMetricsPort = 0;
  ASSERT_TRUE(eventually(
      [&] {
        for (const Json& r :
             recordsWithMessage(readLogLines(c_.dir() + "/verifier.log"), "Serving HTTP")) {
          const Json flag = r.value("metrics", Json());
          if (flag == true || flag == "true")
            verifierMetricsPort = static_cast<int>(intField(r, "port"));
        }
        return verifierMetricsPort > 0;
      },
      60s))
      << readText(c_.dir() + "/verifier.log");
  ctrl::StatusOr<ctrl::HttpResponse> verifierScrape = plainGet(verifierMetricsPort, "/metrics");
  ASSERT_TRUE(verifierScrape.isOk()) << verifierScrape.status().toString();
  ASSERT_EQ(verifierScrape->status, 200);
  const auto verifierFamilies = familiesIn(verifierScrape->body);
  EXPECT_TRUE(verifierFamilies.count("servicetoken_verifier_decisions_total"));
  families.insert(verifierFamilies.begin(), verifierFamilies.end());

  std::vector<std::string> missing;
  for (const std::string& name : queried) {
    if (kPrometheusSeries.count(name) || exported(name, families)) continue;
    missing.push_back(name);
  }
  EXPECT_THAT(missing, IsEmpty()) << "queried by the dashboard or the alerts, not exported";

  // `helm test`'s check, with the real binary: /readyz answers 200.
  ProcessResult probe = runProcess(
      {operatorBinary(), "--probe", "http://127.0.0.1:" + std::to_string(probePort) + "/readyz"});
  EXPECT_EQ(probe.exitCode, 0) << probe.out << probe.err;
  EXPECT_THAT(probe.out, HasSubstr("HTTP 200"));
  // And it fails where nothing healthy answers (the metrics port speaks TLS).
  probe = runProcess(
      {operatorBinary(), "--probe", "http://127.0.0.1:" + std::to_string(metricsPort) + "/readyz"});
  EXPECT_EQ(probe.exitCode, 1) << probe.out << probe.err;

  // No token value reached the operator's log (the scrapers' included). The
  // comparison prints positions, never the token.
  EXPECT_EQ(op.logText().find(reader), std::string::npos) << "a scraper's token is in the log";
}

}  // namespace
}  // namespace sttest::e2e
