// The cpprest HttpServer over HTTPS on 127.0.0.1:0, with a certificate made
// by the openssl command (independent of our own generator): the cpprest
// Transport trusting that certificate gets answers; asynchronous handlers see
// the Authorization header and may reply from another thread; bad material
// fails start() without being quoted; a renewed certificate is served to new
// connections.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "controller/http_server.h"
#include "controller/transport.h"
#include "subprocess.h"
#include "temp_dir.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// A P-256 certificate for 127.0.0.1 and localhost, from the openssl CLI.
std::shared_ptr<const ctrl::HttpServerTls> opensslCertificate(const sttest::TempDir& dir,
                                                              const std::string& name) {
  const std::string cert = dir.file(name + ".crt"), key = dir.file(name + ".key");
  sttest::ProcessResult r = sttest::runProcess(
      {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
       "-days", "2", "-subj", "/CN=localhost", "-addext",
       "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", key, "-out", cert});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  auto tls = std::make_shared<ctrl::HttpServerTls>();
  tls->certificatePem = readFile(cert);
  tls->privateKeyPem = readFile(key);
  return tls;
}

class HttpsServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    material_ = opensslCertificate(dir_, "first");
    server_ = ctrl::makeCppRestHttpsServer([this] {
      std::lock_guard lock(mu_);
      return material_;
    });
    server_->handle("/healthz", [](const std::string& path) {
      return ctrl::HttpServerResponse{200, "text/plain", "ok at " + path};
    });
    server_->handleAsync("/metrics", [this](const ctrl::AsyncHttpRequest& request,
                                            ctrl::HttpReply reply) {
      // Reply from a thread of our own, as the metrics endpoint does.
      std::thread([request, reply, this] {
        {
          std::lock_guard lock(mu_);
          seen_ = request;
        }
        reply({request.authorization.empty() ? 401 : 200, "text/plain", "async " + request.path});
        reply({500, "text/plain", "a second reply is ignored"});
      }).detach();
    });
    ASSERT_TRUE(server_->start("127.0.0.1:0").isOk());
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override { server_->stop(); }

  // A fresh transport (a new connection) trusting `ca`.
  ctrl::StatusOr<ctrl::HttpResponse> get(const std::string& target, const std::string& ca,
                                         const std::string& token = "",
                                         const std::string& scheme = "https") {
    ctrl::RestConfig config;
    config.server = scheme + "://127.0.0.1:" + std::to_string(server_->port());
    config.caPem = ca;
    if (!token.empty()) config.bearerToken = [token] { return token; };
    auto transport = ctrl::makeCppRestTransport(config);
    if (!transport.isOk()) return transport.status();
    ctrl::HttpRequest request;
    request.target = target;
    request.timeout = std::chrono::seconds(30);
    return (*transport)->send(request);
  }

  sttest::TempDir dir_;
  std::mutex mu_;
  std::shared_ptr<const ctrl::HttpServerTls> material_;
  ctrl::AsyncHttpRequest seen_;
  std::unique_ptr<ctrl::HttpServer> server_;
};

TEST_F(HttpsServerTest, ServesOverTlsToAClientThatTrustsTheCertificate) {
  auto response = get("/healthz", material_->certificatePem);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok at /healthz");
}

TEST_F(HttpsServerTest, AClientThatTrustsAnotherCertificateFails) {
  auto other = opensslCertificate(dir_, "other");
  auto response = get("/healthz", other->certificatePem);
  EXPECT_FALSE(response.isOk());
}

TEST_F(HttpsServerTest, PlainHttpToTheTlsPortGetsNoAnswer) {
  auto response = get("/healthz", "", "", "http");
  EXPECT_TRUE(!response.isOk() || response->status != 200);
}

TEST_F(HttpsServerTest, AsyncHandlerSeesTheAuthorizationHeaderAndRepliesOnce) {
  auto response = get("/metrics?x=1", material_->certificatePem, "abc.def");
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "async /metrics");
  {
    std::lock_guard lock(mu_);
    EXPECT_EQ(seen_.authorization, "Bearer abc.def");
    EXPECT_EQ(seen_.path, "/metrics");
  }
  response = get("/metrics", material_->certificatePem);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 401);
  std::lock_guard lock(mu_);
  EXPECT_EQ(seen_.authorization, "");
}

TEST_F(HttpsServerTest, ARenewedCertificateIsServedToNewConnections) {
  auto renewed = opensslCertificate(dir_, "renewed");
  const std::string first = material_->certificatePem;
  {
    std::lock_guard lock(mu_);
    material_ = renewed;
  }
  auto response = get("/healthz", renewed->certificatePem);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_FALSE(get("/healthz", first).isOk()) << "the old certificate is no longer served";

  // A renewal that does not parse keeps the last good one.
  {
    std::lock_guard lock(mu_);
    material_ = std::make_shared<ctrl::HttpServerTls>(ctrl::HttpServerTls{"garbage", "garbage"});
  }
  response = get("/healthz", renewed->certificatePem);
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
}

TEST(HttpsServerStartTest, BadMaterialFailsStartWithoutQuotingIt) {
  sttest::TempDir dir;
  auto a = opensslCertificate(dir, "a");
  auto b = opensslCertificate(dir, "b");
  const std::vector<std::pair<ctrl::HttpServerTls, std::string>> bad = {
      {{"not a certificate", a->privateKeyPem}, "serving certificate"},
      {{a->certificatePem, "secret-key-bytes"}, "serving key"},
      {{a->certificatePem, b->privateKeyPem}, "serving key"},
  };
  for (const auto& [tls, mentions] : bad) {
    auto material = std::make_shared<const ctrl::HttpServerTls>(tls);
    auto server = ctrl::makeCppRestHttpsServer([material] { return material; });
    ctrl::Status s = server->start("127.0.0.1:0");
    EXPECT_EQ(s.code(), ctrl::Code::kInvalidArgument) << mentions;
    EXPECT_THAT(s.message(), HasSubstr(mentions));
    EXPECT_THAT(s.message(), Not(HasSubstr("secret-key-bytes")));
    EXPECT_THAT(s.message(), Not(HasSubstr("BEGIN")));
    EXPECT_EQ(server->port(), 0);
  }
}

}  // namespace
