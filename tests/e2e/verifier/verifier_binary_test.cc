// The real servicetoken-verifier binary, authenticated only as the Helm
// chart's verifier ServiceAccount with the chart's RBAC, next to the real
// operator binary as the chart's operator ServiceAccount: a minted token is
// allowed with its identity, refused once its ServiceToken is deleted; the
// probes and discovery answer; Last Used is recorded; no token reaches the
// verifier's log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <fstream>

#include "api/base64.h"
#include "e2e/operator/e2e_cluster.h"
#include "e2e/operator/poll.h"
#include "integration/verifier/http_client.h"

namespace sttest::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNs = "e2e-verifier";
constexpr const char* kVerifierServiceAccount = "st-servicetoken-operator-verifier";

int freePort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

// A kubeconfig that authenticates only as the verifier's ServiceAccount.
std::string verifierKubeconfig(E2eCluster& c) {
  ProcessResult r = c.kubectl(
      {"create", "token", kVerifierServiceAccount, "-n", kOperatorNamespace, "--duration=1h"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  const std::string path = c.dir() + "/verifier.kubeconfig";
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: e2e\n  cluster:\n    server: "
      << c.plane().server() << "\n    certificate-authority: " << c.plane().dir()
      << "/pki/ca.crt\nusers:\n- name: verifier\n  user:\n    token: " << token
      << "\ncontexts:\n- name: e2e\n  context:\n    cluster: e2e\n    user: verifier\n"
      << "current-context: e2e\n";
  return path;
}

std::string secretToken(E2eCluster& c, const std::string& name) {
  const std::string stored = c.jsonpath("secret", name, kNs, ".data.token");
  auto decoded = st::base64Decode(stored);
  return decoded.isOk() ? *decoded : std::string();
}

TEST(VerifierBinary, AllowsAMintedTokenAndRefusesItOnceDeletedAsTheChartsServiceAccount) {
  E2eCluster c;
  ASSERT_EQ(c.error(), "");
  ASSERT_TRUE(c.ensureNamespace(kNs));
  c.startOperator("operator-0");

  const int port = freePort();
  const int probes = freePort();
  const std::string log = c.dir() + "/verifier.log";
  ChildProcess verifier({std::string(ST_BINARY_DIR) + "/bin/servicetoken-verifier", "--kubeconfig",
                         verifierKubeconfig(c), "--namespace", kOperatorNamespace, "--bind-address",
                         "127.0.0.1:" + std::to_string(port), "--metrics-bind-address", "0",
                         "--health-probe-bind-address", "127.0.0.1:" + std::to_string(probes),
                         "--log-level", "debug"},
                        log);
  ASSERT_TRUE(eventually([&] { return httpRequest(probes, "GET", "/readyz").status == 200; }, 60s))
      << readText(log);

  ASSERT_TRUE(c.apply(std::string(R"(apiVersion: servicetoken.dev/v1alpha1
kind: ServiceUser
metadata: {name: pipeline, namespace: e2e-verifier}
spec: {displayName: Pipeline Automation, role: Manager}
---
apiVersion: servicetoken.dev/v1alpha1
kind: ServiceToken
metadata: {name: airflow, namespace: e2e-verifier}
spec:
  displayName: Airflow Service User
  type: Service
  serviceUserRef: {name: pipeline}
  expiration: 30d
)")));
  ASSERT_TRUE(eventually(
      [&] { return c.jsonpath("servicetoken", "airflow", kNs, ".status.phase") == "Active"; },
      60s));
  const std::string token = secretToken(c, "airflow");
  ASSERT_FALSE(token.empty());

  auto authorize = [&](const std::string& uri) {
    return httpRequest(port, "GET", "/v1/authorize",
                       {{"Authorization", "Bearer " + token}, {"X-Original-URI", uri}});
  };
  HttpResult allowed;
  ASSERT_TRUE(eventually([&] { return (allowed = authorize("/api/x")).status == 200; }, 30s));
  EXPECT_EQ(allowed.header("x-auth-request-user"), "pipeline_automation@e2e-verifier.service");
  EXPECT_EQ(allowed.header("x-auth-request-role"), "Manager");
  EXPECT_EQ(httpRequest(port, "GET", "/.well-known/openid-configuration").status, 200);
  // Last Used, written with the chart's RBAC (patch servicetokens/status).
  EXPECT_TRUE(eventually(
      [&] { return !c.jsonpath("servicetoken", "airflow", kNs, ".status.lastUsedTime").empty(); },
      30s))
      << readText(log);

  ASSERT_EQ(c.kubectl({"delete", "servicetoken", "airflow", "-n", kNs}).exitCode, 0);
  EXPECT_TRUE(eventually([&] { return authorize("/api/x").status == 401; }, 30s));

  verifier.kill(SIGTERM);
  EXPECT_EQ(verifier.wait(30s), 0);
  const std::string text = readText(log);
  EXPECT_EQ(text.find(token), std::string::npos) << "the token reached the verifier's log";
  EXPECT_EQ(text.find(token.substr(token.rfind('.') + 1)), std::string::npos);
  EXPECT_THAT(text, ::testing::HasSubstr("\"reason\":\"allowed\""));
}

}  // namespace
}  // namespace sttest::e2e
