// The Helm chart is well-formed without a cluster: `helm lint --strict`
// passes with every optional feature on, values.schema.json rejects bad
// values naming the field, kubeVersion refuses clusters older than the chart
// supports, every templated argument is quoted (a value is one argument
// whatever it holds), and the chart's CRDs are an exact copy of crds/
// (hack/check-chart-crds.sh, which also catches a drifted copy). When the
// operator binary is built, every flag the Deployment and the `helm test`
// Pod pass is one it knows.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "chart_support.h"

namespace sttest::chart {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kEverythingOn = {
    "--set", "metrics.serviceMonitor.enabled=true",
    "--set", "metrics.prometheusRule.enabled=true",
    "--set", "networkPolicy.enabled=true",
    "--set", "watchNamespaces={team-a,team-b}",
    "--set", "networkPolicy.apiServer.cidrs[0]=10.0.0.1/32",
    "--set", "metrics.certSecret=metrics-cert",
    "--set", "metrics.reader.subjects[0].kind=ServiceAccount",
    "--set", "metrics.reader.subjects[0].name=prometheus",
    "--set", "metrics.reader.subjects[0].namespace=monitoring"};

TEST(ChartLint, PassesPlainAndStrictWithEveryOptionalFeature) {
  ProcessResult r = helm({"lint", chartDir()});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  r = helm({"lint", "--strict", chartDir()});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  std::vector<std::string> args{"lint", "--strict", chartDir()};
  args.insert(args.end(), kEverythingOn.begin(), kEverythingOn.end());
  r = helm(args);
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("1 chart(s) linted, 0 chart(s) failed"));
}

// "ns-0,ns-1,...": `count` namespace names for --set 'watchNamespaces={...}'.
std::string manyNamespaces(int count) {
  std::string out;
  for (int i = 0; i < count; ++i) out += (i == 0 ? "" : ",") + ("ns-" + std::to_string(i));
  return out;
}

struct BadValue {
  std::vector<std::string> set;
  const char* mentions;  // helm's error must mention this
};

TEST(ChartValues, SchemaAndGuardsRejectBadValuesNamingTheField) {
  const BadValue kBad[] = {
      {{"--set", "logging.format=xml"}, "format"},
      {{"--set", "signing.algorithm=RS256"}, "algorithm"},
      {{"--set", "replicaCount=0"}, "replicaCount"},
      {{"--set", "workers=65"}, "workers"},
      {{"--set", "gracefulShutdownTimeout=601"}, "gracefulShutdownTimeout"},
      {{"--set", "watchNamespaces={team-a,team-a}"}, "watchNamespaces"},
      {{"--set", "watchNamespaces={" + manyNamespaces(65) + "}"}, "watchNamespaces"},
      {{"--set", "watchNamespaces[0]=Not_A_Namespace"}, "watchNamespaces"},
      {{"--set", "image.pullPolicy=Sometimes"}, "pullPolicy"},
      {{"--set", "replicas=3"}, "replicas"},  // a typo of replicaCount
      {{"--set", "metrics.port=70000"}, "port"},
      // Two unelected replicas would both mint tokens.
      {{"--set", "leaderElection.enabled=false"}, "leaderElection.enabled"},
      // The value that aggregated servicetoken-admin into `edit` is gone.
      {{"--set", "userRoles.aggregateToDefaultRoles=true"}, "aggregateToDefaultRoles"},
      {{"--set", "admissionPolicies.validationActions={Deny,Warn}"}, "validationActions"},
      {{"--set", "admissionPolicies.validationActions={Refuse}"}, "validationActions"},
      {{"--set", "admissionPolicies.scim.enabled=false"}, "scim"},
      {{"--set", "metrics.secure=false", "--set", "metrics.certSecret=c"}, "metrics.certSecret"},
      {{"--set", "metrics.reader.subjects[0].kind=Robot", "--set",
        "metrics.reader.subjects[0].name=r"},
       "kind"},
      {{"--set", "metrics.reader.subjects[0].kind=ServiceAccount", "--set",
        "metrics.reader.subjects[0].name=prometheus"},
       "needs a namespace"},
      {{"--set", "metrics.prometheusRule.renewalOverdueMinutes=0"}, "renewalOverdueMinutes"},
      {{"--set", "grafanaDashboard.namespace=Not_A_Namespace"}, "namespace"},
      {{"--set", "kubeApiClient.watchIdleTimeout=7200"}, "watchIdleTimeout"},
  };
  for (const BadValue& bad : kBad) {
    SCOPED_TRACE(bad.set.back());
    ProcessResult r = helmTemplate("st", "st-system", bad.set);
    EXPECT_NE(r.exitCode, 0) << "accepted";
    EXPECT_THAT(r.err, HasSubstr(bad.mentions));
  }
  // The controls: the same values, done right, render.
  for (const std::vector<std::string>& good : std::vector<std::vector<std::string>>{
           {},
           {"--set", "logging.format=text", "--set", "signing.algorithm=ES256"},
           {"--set", "watchNamespaces[0]=team-a"},
           {"--set", "watchNamespaces={" + manyNamespaces(64) + "}"},
           {"--set", "metrics.secure=false"},
           {"--set", "leaderElection.enabled=false", "--set", "replicaCount=1"},
           {"--set", "kubeApiClient.qps=20", "--set", "kubeApiClient.burst=40", "--set",
            "kubeApiClient.watchIdleTimeout=0"},
           {"--set", "admissionPolicies.validationActions={Warn,Audit}", "--set",
            "admissionPolicies.scimAdministration.enabled=false"}}) {
    ProcessResult r = helmTemplate("st", "st-system", good);
    EXPECT_EQ(r.exitCode, 0) << r.err;
  }
}

TEST(ChartValues, DeploymentFlagsAreOnesTheOperatorBinaryKnows) {
  const std::string binary = std::string(ST_BINARY_DIR) + "/bin/servicetoken-operator";
  if (!std::filesystem::exists(binary)) GTEST_SKIP() << "not built: " << binary;
  ProcessResult help = runProcess({binary, "--help"});
  ASSERT_EQ(help.exitCode, 0) << help.err;
  ProcessResult r = helmTemplate(
      "st", "st-system",
      {"--set", "watchNamespaces={team-a,team-b}", "--set", "kubeApiClient.qps=20", "--set",
       "kubeApiClient.burst=40", "--set", "kubeApiClient.watchIdleTimeout=45", "--set",
       "metrics.certSecret=metrics-cert", "--show-only", "templates/deployment.yaml", "--show-only",
       "templates/tests/test-readyz.yaml"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // The containers' args are the only lines of the form "- "--flag[=value]"".
  const std::regex argLine(R"(^\s*- "(--[a-z-]+)(=.*)?"$)");
  const int flags = expectArgsAreKnownFlags(r.out, help.out, argLine);
  EXPECT_GE(flags, 20);
  for (const char* flag : {"--watch-namespace=team-a,team-b", "--metrics-secure=true",
                           "--metrics-cert-dir=", "--probe", "--watch-idle-timeout=45"}) {
    EXPECT_THAT(r.out, HasSubstr(flag));
  }
}

TEST(ChartValues, EveryTemplatedArgumentIsQuotedAndStaysOneArgument) {
  // Values with spaces, quotes and YAML syntax in them.
  ProcessResult r =
      helmTemplate("st", "st-system",
                   {"--set", "token.audience=a b: c", "--set-string", "logging.level=info", "--set",
                    "extraArgs[0]=--context=x #y", "--set", "token.issuerUrl=https://x/\\\"q\\\"",
                    "--show-only", "templates/deployment.yaml"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Every item of every args list is a double-quoted scalar.
  std::istringstream lines(r.out);
  bool inArgs = false;
  int args = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("args:") != std::string::npos) {
      inArgs = true;
      continue;
    }
    if (!inArgs) continue;
    const size_t dash = line.find_first_not_of(' ');
    if (dash == std::string::npos || line.compare(dash, 2, "- ") != 0) {
      inArgs = false;
      continue;
    }
    ++args;
    EXPECT_EQ(line.substr(dash, 3), "- \"") << line;
    EXPECT_EQ(line.back(), '"') << line;
  }
  EXPECT_GE(args, 15);
  // And YAML reads each back as one argument, unchanged.
  EXPECT_THAT(r.out, HasSubstr("- \"--audience=a b: c\""));
  EXPECT_THAT(r.out, HasSubstr("- \"--context=x #y\""));
  EXPECT_THAT(r.out, HasSubstr("- \"--issuer-url=https://x/\\\"q\\\"\""));
}

TEST(ChartMetadata, KubeVersionRefusesClustersOlderThanSupported) {
  ProcessResult r = helmTemplate("st", "st-system", {"--kube-version", "v1.29.9"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("kubeVersion"));
  r = helmTemplate("st", "st-system", {"--kube-version", "v1.30.0"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = helmTemplate("st", "st-system", {"--kube-version", "v1.37.2"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  // Without --kube-version, helm assumes the version it was built against.
  r = helmTemplate("st", "st-system");
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(ChartCrds, ChartCopyEqualsTheSourceOfTruth) {
  const std::string script = std::string(ST_SOURCE_DIR) + "/hack/check-chart-crds.sh";
  ProcessResult r = runProcess({script});
  EXPECT_EQ(r.exitCode, 0) << r.out << r.err;
  EXPECT_THAT(r.out, HasSubstr("ok (2 CRDs)"));
}

TEST(ChartCrds, DriftedCopyIsDetectedNamingTheFile) {
  namespace fs = std::filesystem;
  const std::string script = std::string(ST_SOURCE_DIR) + "/hack/check-chart-crds.sh";
  const std::string source = std::string(ST_SOURCE_DIR) + "/crds";
  std::string pattern = (fs::temp_directory_path() / "chart-crds-XXXXXX").string();
  ASSERT_NE(mkdtemp(pattern.data()), nullptr);
  const fs::path copy(pattern);
  fs::copy(source, copy);

  // An identical copy passes: the check compares against its arguments.
  ProcessResult r = runProcess({script, source, copy.string()});
  EXPECT_EQ(r.exitCode, 0) << r.err;

  // One byte of drift in one CRD.
  const fs::path drifted = copy / "servicetoken.dev_serviceusers.yaml";
  std::ofstream(drifted, std::ios::app) << "# drift\n";
  r = runProcess({script, source, copy.string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("servicetoken.dev_serviceusers.yaml differs"));
  EXPECT_THAT(r.err, ::testing::Not(HasSubstr("servicetoken.dev_servicetokens.yaml")));

  // A missing CRD and an extra file are drift too.
  fs::remove(copy / "servicetoken.dev_servicetokens.yaml");
  std::ofstream(copy / "extra.yaml") << "kind: Nothing\n";
  r = runProcess({script, source, copy.string()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("servicetoken.dev_servicetokens.yaml is missing"));
  EXPECT_THAT(r.err, HasSubstr("extra.yaml has no source"));
  fs::remove_all(copy);
}

}  // namespace
}  // namespace sttest::chart
