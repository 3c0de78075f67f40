// /metrics of the real operator wiring (st::Operator in-process, the cpprest
// HTTPS server) on a real kube-apiserver: a ServiceAccount bound to the
// chart's metrics-reader ClusterRole gets 200; an authenticated one without it
// gets 403; no token, or one the API server does not accept, gets 401; plain
// HTTP gets nothing; revoking the binding takes effect once the short
// decision cache expires. With --metrics-cert-dir the operator serves that
// certificate; with --metrics-secure=false it serves plain HTTP to anyone.
//
// Tokens are never printed: failure messages show status codes only.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <stop_token>
#include <string>
#include <thread>

#include "admin_client.h"
#include "control_plane.h"
#include "controller/http_server.h"
#include "controller/serving_cert.h"
#include "controller/transport.h"
#include "mocks/eventually.h"
#include "operator/operator.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace {

using sttest::ProcessResult;
using sttest::sharedControlPlane;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kOperatorNamespace = "servicetoken-system";
constexpr const char* kMonitoringNamespace = "st-metrics-mon";
constexpr const char* kReaderRole = "stm-servicetoken-operator-metrics-reader";

std::string chartDir() { return std::string(ST_SOURCE_DIR) + "/charts/servicetoken-operator"; }

// A TokenRequest token for ServiceAccount `name` in the monitoring namespace.
std::string tokenFor(const std::string& name) {
  ProcessResult r = sharedControlPlane().kubectl(
      {"create", "token", name, "-n", kMonitoringNamespace, "--duration=1h"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  return token;
}

class SecureMetrics : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    sttest::ControlPlane& cp = sharedControlPlane();
    ctrl::Status crds = cp.installCrds();
    ASSERT_TRUE(crds.isOk()) << crds.toString();
    for (const char* ns : {kOperatorNamespace, kMonitoringNamespace}) {
      cp.kubectl({"create", "namespace", ns});
    }
    for (const char* sa : {"prometheus", "intruder"}) {
      cp.kubectl({"create", "serviceaccount", sa, "-n", kMonitoringNamespace});
    }
    // The chart's metrics RBAC, as Helm renders it, with prometheus as the reader.
    ProcessResult rendered = sttest::runProcess(
        {sttest::ControlPlane::helmPath(), "template", "stm", chartDir(), "--namespace",
         kOperatorNamespace, "--show-only", "templates/rbac-metrics.yaml", "--set",
         "metrics.reader.subjects[0].kind=ServiceAccount", "--set",
         "metrics.reader.subjects[0].name=prometheus", "--set",
         std::string("metrics.reader.subjects[0].namespace=") + kMonitoringNamespace});
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    ProcessResult applied = cp.kubectl({"apply", "-f", "-"}, rendered.out);
    ASSERT_EQ(applied.exitCode, 0) << applied.err;
  }

  void TearDown() override { stop(); }

  // Starts the operator with `options` on 127.0.0.1:0 for /metrics.
  void start(st::OperatorOptions options = {}) {
    api_ = sttest::adminClient();
    ASSERT_NE(api_, nullptr);
    options.ns = kOperatorNamespace;
    options.metricsBindAddress = "127.0.0.1:0";
    options.healthProbeBindAddress = "0";
    options.workers = 1;
    st::OperatorDeps deps;
    deps.client = api_.get();
    deps.httpServerFactory = ctrl::makeCppRestHttpServer;
    deps.httpsServerFactory = ctrl::makeCppRestHttpsServer;
    auto op = st::Operator::create(options, deps);
    ASSERT_TRUE(op.isOk()) << op.status().toString();
    op_ = std::move(op).value();
    thread_ = std::thread([this] { result_ = op_->run(stop_.get_token()); });
    ASSERT_TRUE(sttest::eventually([&] { return op_->metricsPort() != 0; }))
        << "the metrics server did not start";
  }

  void stop() {
    if (!op_) return;
    stop_.request_stop();
    thread_.join();
    EXPECT_TRUE(result_.isOk()) << result_.toString();
    op_.reset();
  }

  // GET /metrics over `scheme`, trusting `ca` (or nothing: skip verification).
  ctrl::StatusOr<ctrl::HttpResponse> scrape(const std::string& token, const std::string& ca = "",
                                            const std::string& scheme = "https") {
    ctrl::RestConfig config;
    config.server = scheme + "://127.0.0.1:" + std::to_string(op_->metricsPort());
    config.caPem = ca;
    config.insecureSkipTlsVerify = ca.empty() && scheme == "https";
    if (!token.empty()) config.bearerToken = [token] { return token; };
    auto transport = ctrl::makeCppRestTransport(config);
    if (!transport.isOk()) return transport.status();
    ctrl::HttpRequest request;
    request.target = "/metrics";
    request.timeout = std::chrono::seconds(30);
    return (*transport)->send(request);
  }
  int status(const std::string& token) {
    auto r = scrape(token);
    return r.isOk() ? r->status : -1;
  }

  std::unique_ptr<ctrl::Client> api_;
  std::unique_ptr<st::Operator> op_;
  std::stop_source stop_;
  std::thread thread_;
  ctrl::Status result_;
};

TEST_F(SecureMetrics, ReaderGetsTheMetrics) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = scrape(tokenFor("prometheus"));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("# TYPE servicetoken_mint_total counter"));
  EXPECT_THAT(r->body, HasSubstr("controller_runtime_reconcile_total"));
}

TEST_F(SecureMetrics, AuthenticatedCallerWithoutTheRoleIsForbidden) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = scrape(tokenFor("intruder"));
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 403);
  EXPECT_THAT(r->body, HasSubstr("system:serviceaccount:st-metrics-mon:intruder"));
  EXPECT_THAT(r->body, Not(HasSubstr("servicetoken_")));
}

TEST_F(SecureMetrics, NoTokenOrARejectedTokenIsUnauthorized) {
  ASSERT_NO_FATAL_FAILURE(start());
  EXPECT_EQ(status(""), 401);
  EXPECT_EQ(status("not-a-token"), 401);
  // A token the API server once issued, for another audience, is refused too.
  ProcessResult r = sharedControlPlane().kubectl(
      {"create", "token", "prometheus", "-n", kMonitoringNamespace, "--audience=elsewhere"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string other = r.out;
  while (!other.empty() && other.back() == '\n') other.pop_back();
  EXPECT_EQ(status(other), 401);
}

TEST_F(SecureMetrics, PlainHttpGetsNoMetrics) {
  ASSERT_NO_FATAL_FAILURE(start());
  auto r = scrape(tokenFor("prometheus"), "", "http");
  EXPECT_TRUE(!r.isOk() || r->status != 200);
}

TEST_F(SecureMetrics, RevokingTheBindingTakesEffectOnceTheCacheExpires) {
  ASSERT_NO_FATAL_FAILURE(start());
  sttest::ControlPlane& cp = sharedControlPlane();
  ProcessResult r =
      cp.kubectl({"create", "clusterrolebinding", "st-metrics-temporary",
                  std::string("--clusterrole=") + kReaderRole,
                  std::string("--serviceaccount=") + kMonitoringNamespace + ":intruder"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string token = tokenFor("intruder");
  // Granted: allowed once the API server's RBAC cache has the new binding.
  EXPECT_TRUE(sttest::eventually([&] { return status(token) == 200; }, std::chrono::seconds(60)));
  r = cp.kubectl({"delete", "clusterrolebinding", "st-metrics-temporary"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  // Revoked: forbidden again once the cached decision (10 s) expires.
  EXPECT_TRUE(sttest::eventually([&] { return status(token) == 403; }, std::chrono::seconds(60)));
}

TEST_F(SecureMetrics, CertificateDirectoryIsServed) {
  sttest::TempDir dir;
  auto tls = ctrl::makeSelfSignedCertificate({"127.0.0.1"}, std::chrono::system_clock::now(),
                                             std::chrono::hours(1));
  ASSERT_TRUE(tls.isOk()) << tls.status().toString();
  dir.write("tls.crt", tls->certificatePem);
  dir.write("tls.key", tls->privateKeyPem);
  st::OperatorOptions options;
  options.metricsCertDir = dir.path();
  ASSERT_NO_FATAL_FAILURE(start(options));
  // Verified against that certificate alone: it is what the server presents.
  auto r = scrape(tokenFor("prometheus"), tls->certificatePem);
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  auto other = ctrl::makeSelfSignedCertificate({"127.0.0.1"}, std::chrono::system_clock::now(),
                                               std::chrono::hours(1));
  ASSERT_TRUE(other.isOk());
  EXPECT_FALSE(scrape(tokenFor("prometheus"), other->certificatePem).isOk());
}

TEST_F(SecureMetrics, MissingCertificateDirectoryFailsStart) {
  api_ = sttest::adminClient();
  ASSERT_NE(api_, nullptr);
  st::OperatorOptions options;
  options.ns = kOperatorNamespace;
  options.metricsBindAddress = "127.0.0.1:0";
  options.metricsCertDir = "/nonexistent/metrics-certs";
  st::OperatorDeps deps;
  deps.client = api_.get();
  deps.httpServerFactory = ctrl::makeCppRestHttpServer;
  deps.httpsServerFactory = ctrl::makeCppRestHttpsServer;
  auto op = st::Operator::create(options, deps);
  ASSERT_FALSE(op.isOk());
  EXPECT_EQ(op.status().code(), ctrl::Code::kNotFound);
  EXPECT_THAT(op.status().message(), HasSubstr("--metrics-cert-dir"));
}

TEST_F(SecureMetrics, InsecureMetricsServePlainHttpToAnyone) {
  st::OperatorOptions options;
  options.metricsSecure = false;
  ASSERT_NO_FATAL_FAILURE(start(options));
  auto r = scrape("", "", "http");
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  EXPECT_EQ(r->status, 200);
  EXPECT_THAT(r->body, HasSubstr("controller_runtime_reconcile_total"));
}

}  // namespace
