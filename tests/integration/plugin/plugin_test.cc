// kubectl-servicetoken end to end against a real kube-apiserver: the BUILT
// binary runs as a subprocess (alone and as `kubectl servicetoken`), reading
// ServiceTokens and Secrets that the test writes with kubectl (no operator:
// the Secret and status are set up by hand exactly as the operator writes
// them).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "control_plane.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNs = "plugin-test";
constexpr const char* kDisplayName = "Airflow Service User";
constexpr const char* kFileName = "airflow-service-user-token.txt";

std::string binDir() { return std::string(ST_BINARY_DIR) + "/bin"; }
std::string pluginPath() { return binDir() + "/kubectl-servicetoken"; }

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

class PluginTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ControlPlane& cp = sharedControlPlane();
    ctrl::Status installed = cp.installCrds();
    ASSERT_TRUE(installed.isOk()) << installed.toString();
    ProcessResult r = cp.kubectl({"create", "namespace", kNs});
    ASSERT_TRUE(r.exitCode == 0 || r.err.find("AlreadyExists") != std::string::npos) << r.err;
  }

  void SetUp() override {
    ASSERT_EQ(::access(pluginPath().c_str(), X_OK), 0)
        << pluginPath() << " is missing: build the kubectl-servicetoken target first";
    ASSERT_FALSE(dir_.path().empty());
  }

  static ControlPlane& cp() { return sharedControlPlane(); }

  static void kubectlOk(const std::vector<std::string>& args, const std::string& input = "") {
    ProcessResult r = cp().kubectl(args, input);
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }

  // A Service token referring to user `name`, with the Active status the
  // operator would write once the token is stored in Secret `name`.
  static void createActiveToken(const std::string& name) {
    kubectlOk({"apply", "-f", "-"},
              "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\n"
              "metadata: {name: " +
                  name + ", namespace: " + kNs +
                  "}\n"
                  "spec:\n  displayName: " +
                  kDisplayName +
                  "\n  type: Service\n"
                  "  serviceUserRef: {name: airflow}\n  expiration: 30d\n");
    const std::string status = R"({"status": {
      "phase": "Active", "observedGeneration": 1, "serviceUserId": "airflow_service_user@service",
      "secretName": ")" + name +
                               R"(", "expiration": "30d", "tokenId": "jti-it-1",
      "tokenHash": "sha256:0000", "issuedAt": "2026-01-01T00:00:00Z",
      "expiresAt": "2026-01-31T00:00:00Z", "renewalTime": "2026-01-21T00:00:00Z", "revision": 1,
      "conditions": [
        {"type": "Ready", "status": "True", "reason": "Issued", "observedGeneration": 1,
         "lastTransitionTime": "2026-01-01T00:00:00Z",
         "message": "Token jti-it-1 is valid until 2026-01-31T00:00:00Z and stored in Secret )" +
                               name + R"("},
        {"type": "Issuing", "status": "False", "reason": "UpToDate", "observedGeneration": 1,
         "lastTransitionTime": "2026-01-01T00:00:00Z", "message": "No token needs to be issued"},
        {"type": "Stalled", "status": "False", "reason": "Progressing", "observedGeneration": 1,
         "lastTransitionTime": "2026-01-01T00:00:00Z",
         "message": "The operator can make progress without help"}]}})";
    kubectlOk({"patch", "servicetoken", name, "-n", kNs, "--subresource=status", "--type=merge",
               "-p", status});
  }

  // The token Secret; `owned` adds the operator's labels.
  static void applySecret(const std::string& name, const std::string& token, bool owned) {
    std::string labels = owned ? "  labels: {app.kubernetes.io/managed-by: servicetoken-operator, "
                                 "servicetoken.dev/servicetoken: " +
                                     name + "}\n"
                               : "";
    kubectlOk({"apply", "-f", "-"},
              "apiVersion: v1\nkind: Secret\ntype: servicetoken.dev/token\n"
              "metadata:\n  name: " +
                  name + "\n  namespace: " + kNs + "\n" + labels +
                  "  annotations: {servicetoken.dev/token-id: jti-it-1}\n"
                  "stringData: {token: \"" +
                  token + "\"}\n");
  }

  static ProcessResult plugin(std::vector<std::string> args) {
    args.insert(args.begin(), pluginPath());
    for (const char* a : {"--kubeconfig", "", "-n", kNs}) args.emplace_back(a);
    args[args.size() - 3] = cp().kubeconfig();
    return runProcess(args);
  }

  static std::string rotateAnnotation(const std::string& name) {
    ProcessResult r = cp().kubectl({"get", "servicetoken", name, "-n", kNs, "-o",
                                    "jsonpath={.metadata.annotations.servicetoken\\.dev/rotate}"});
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return r.out;
  }

  TempDir dir_;
};

TEST_F(PluginTest, DownloadWritesTheTokenWithMode0600AndOverwritesOnlyWithForce) {
  const std::string first = "eyJhbGciOiJFZERTQSJ9.Zmlyc3Q.c2lnMQ";
  const std::string second = "eyJhbGciOiJFZERTQSJ9.c2Vjb25k.c2lnMg";
  createActiveToken("dl");
  applySecret("dl", first, /*owned=*/true);

  ProcessResult r = plugin({"download", "dl", "--output-dir", dir_.path()});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string path = dir_.file(kFileName);
  EXPECT_EQ(readFile(path), first);
  struct stat st {};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THAT(r.out, HasSubstr(path));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(first)));

  applySecret("dl", second, /*owned=*/true);  // as after a rotation
  r = plugin({"download", "dl", "--output-dir", dir_.path()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("already exists"));
  EXPECT_THAT(r.err, HasSubstr("--force"));
  EXPECT_EQ(readFile(path), first);

  r = plugin({"download", "dl", "--output-dir", dir_.path(), "--force"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(readFile(path), second);
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(second)));
}

TEST_F(PluginTest, DownloadRefusesASecretWithoutTheOperatorsLabels) {
  createActiveToken("foreign");
  applySecret("foreign", "not-ours", /*owned=*/false);
  ProcessResult r = plugin({"download", "foreign", "--output-dir", dir_.path(), "--force"});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("is not managed by servicetoken-operator"));
  EXPECT_THAT(r.err, Not(HasSubstr("not-ours")));
  EXPECT_TRUE(std::filesystem::is_empty(dir_.path()));
}

TEST_F(PluginTest, RotateTwiceSetsTwoDifferentAnnotationValues) {
  createActiveToken("rot");
  ProcessResult r = plugin({"rotate", "rot"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string first = rotateAnnotation("rot");
  EXPECT_FALSE(first.empty());
  EXPECT_THAT(r.out, HasSubstr("servicetoken.dev/rotate=" + first));

  r = plugin({"rotate", "rot"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string second = rotateAnnotation("rot");
  EXPECT_FALSE(second.empty());
  EXPECT_NE(second, first);
}

TEST_F(PluginTest, StatusShowsUserPhaseAndConditionsButNeverTheToken) {
  const std::string token = "eyJhbGciOiJFZERTQSJ9.c3RhdHVz.c2ln";
  createActiveToken("st");
  applySecret("st", token, /*owned=*/true);
  ProcessResult r = plugin({"status", "st"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("airflow_service_user@service"));
  EXPECT_THAT(r.out, HasSubstr("Display name:     Airflow Service User"));
  EXPECT_THAT(r.out, HasSubstr("Phase:            Active"));
  EXPECT_THAT(r.out, HasSubstr("Ready: yes — Token jti-it-1 is valid until 2026-01-31T00:00:00Z"));
  EXPECT_THAT(r.out, HasSubstr("Issuing: no"));
  EXPECT_THAT(r.out, HasSubstr("Stalled: no"));
  EXPECT_THAT(r.out, HasSubstr("Status:           current (generation 1)"));
  EXPECT_THAT(r.out + r.err, Not(HasSubstr(token)));
}

TEST_F(PluginTest, UnknownNameExitsOneWithNotFound) {
  const std::vector<std::vector<std::string>> commands = {
      {"status", "does-not-exist"},
      {"download", "does-not-exist", "--output-dir", dir_.path()},
      {"rotate", "does-not-exist"}};
  for (const auto& command : commands) {
    ProcessResult r = plugin(command);
    EXPECT_EQ(r.exitCode, 1) << command[0];
    EXPECT_THAT(r.err, HasSubstr("servicetoken does-not-exist not found in namespace plugin-test"))
        << command[0];
  }
}

TEST_F(PluginTest, BadUsageExitsTwo) {
  ProcessResult r = runProcess({pluginPath(), "status"});
  EXPECT_EQ(r.exitCode, 2);
  EXPECT_THAT(r.err, HasSubstr("NAME is required"));
}

TEST_F(PluginTest, NamespaceDefaultsToTheKubeconfigContext) {
  createActiveToken("ctx");
  const std::string config = dir_.file("kubeconfig");
  std::filesystem::copy_file(cp().kubeconfig(), config);
  ProcessResult r = runProcess({ControlPlane::kubectlPath(), "config", "set-context", "--current",
                                "--namespace", kNs, "--kubeconfig", config});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = runProcess({pluginPath(), "status", "ctx", "--kubeconfig", config});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Namespace:        plugin-test"));
  // Without the context namespace it looks in "default".
  r = runProcess({pluginPath(), "status", "ctx", "--kubeconfig", cp().kubeconfig()});
  EXPECT_EQ(r.exitCode, 1);
  EXPECT_THAT(r.err, HasSubstr("not found in namespace default"));
}

TEST_F(PluginTest, RunsAsAKubectlPluginFromPath) {
  createActiveToken("via-kubectl");
  const char* path = std::getenv("PATH");
  ProcessResult r =
      runProcess({ControlPlane::kubectlPath(), "servicetoken", "status", "via-kubectl", "-n", kNs},
                 "", std::chrono::seconds(120),
                 {{"PATH", binDir() + ":" + (path ? path : "/usr/bin:/bin")},
                  {"KUBECONFIG", cp().kubeconfig()}});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("Name:             via-kubectl"));
  EXPECT_THAT(r.out, HasSubstr("Phase:            Active"));
}

}  // namespace
}  // namespace sttest
