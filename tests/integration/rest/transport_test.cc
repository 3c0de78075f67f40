// Both Transports (makeTransport, the default, and makeCppRestTransport)
// against a real kube-apiserver: client-certificate
// (EC P-256) and bearer-token authentication from a kubeconfig, TLS
// verification really on, watch streams delivered line by line, stopped
// promptly on request, and ending cleanly or by idle timeout as configured.
#include "controller/transport.h"

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.h"
#include "control_plane.h"
#include "integration/rest/socket_census.h"
#include "tcp_keepalive_check.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

std::string readAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

using Factory = ctrl::StatusOr<std::unique_ptr<ctrl::Transport>> (*)(const ctrl::RestConfig&);
Factory transportFactory = nullptr;  // the one under test, set by the fixture

// Every test runs against both transports, named by the parameter.
class TransportTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    transportFactory = GetParam() == "Default" ? &ctrl::makeTransport : &ctrl::makeCppRestTransport;
  }
};

std::unique_ptr<ctrl::Transport> newTransport(const ctrl::RestConfig& config) {
  auto transport = transportFactory(config);
  EXPECT_TRUE(transport.isOk()) << transport.status().toString();
  return transport.isOk() ? std::move(transport).value() : nullptr;
}

ctrl::HttpRequest get(const std::string& target) {
  ctrl::HttpRequest request;
  request.target = target;
  return request;
}

// A unique name per test process, so reruns against a kept plane never clash.
std::string uniqueName(const std::string& stem) {
  return "st-rest-" + stem + "-" + std::to_string(getpid());
}

// Lines delivered by a watch running on another thread.
class LineCollector {
 public:
  bool add(std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
    cv_.notify_all();
    return true;
  }
  // Waits (up to a minute, a failure bound rather than a measurement) until
  // a line contains all of `parts`.
  bool waitForLineWith(const std::vector<std::string>& parts) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 60s, [&] {
      for (const auto& line : lines_) {
        bool all = true;
        for (const auto& part : parts) all = all && line.find(part) != std::string::npos;
        if (all) return true;
      }
      return false;
    });
  }
  std::vector<std::string> lines() const {
    std::lock_guard lock(mu_);
    return lines_;
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

TEST_P(TransportTest, GetVersionWithClientCertificateFromKubeconfig) {
  const ctrl::RestConfig config = adminConfig();
  // The plane's admin credentials are an inline EC P-256 key and certificate.
  ASSERT_FALSE(config.clientKeyPem.empty());
  ASSERT_FALSE(config.caPem.empty());
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  auto response = transport->send(get("/version"));
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  ASSERT_EQ(response->status, 200) << response->body;
  const auto version = nlohmann::json::parse(response->body);
  EXPECT_THAT(version.at("gitVersion").get<std::string>(), ::testing::StartsWith("v1.37."));
}

// Every TLS connection to the API server, the first on a new socket
// included, has TCP keepalive on (30 s idle): a peer that vanishes is found
// out by the kernel, not hours later.
TEST_P(TransportTest, TlsConnectionsCarryTcpKeepalive) {
  const ctrl::RestConfig config = adminConfig();
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  auto response = transport->send(get("/version"));
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  const int port = portOf(config.server);
  int checked = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      const int fd = std::atoi(entry->d_name);
      sockaddr_storage peer{};
      socklen_t length = sizeof peer;
      if (fd <= 2 || getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
      const int peerPort = peer.ss_family == AF_INET
                               ? ntohs(reinterpret_cast<const sockaddr_in*>(&peer)->sin_port)
                               : ntohs(reinterpret_cast<const sockaddr_in6*>(&peer)->sin6_port);
      if (peerPort != port) continue;
      expectTcpKeepalive(fd);
      ++checked;
    }
    closedir(dir);
  }
  EXPECT_GT(checked, 0) << "no connection to the API server found";
}

TEST_P(TransportTest, ClientCertificateIsWhatAuthenticates) {
  ctrl::RestConfig config = adminConfig();
  auto admin = newTransport(config);
  config.clientCertPem.clear();
  config.clientKeyPem.clear();
  auto anonymous = newTransport(config);
  ASSERT_TRUE(admin && anonymous);
  const auto target = "/api/v1/namespaces/default/configmaps?limit=1";
  auto allowed = admin->send(get(target));
  auto denied = anonymous->send(get(target));
  ASSERT_TRUE(allowed.isOk() && denied.isOk());
  EXPECT_EQ(allowed->status, 200);
  EXPECT_THAT(denied->status, ::testing::AnyOf(401, 403));
}

TEST_P(TransportTest, WrongCaIsATlsFailureMappedToUnavailable) {
  ctrl::RestConfig config = adminConfig();
  // A real CA, just not the one that signed the serving certificate.
  config.caPem = readAll(sharedControlPlane().dir() + "/pki/client-ca.crt");
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  auto response = transport->send(get("/version"));
  ASSERT_FALSE(response.isOk()) << "status " << response->status;
  EXPECT_EQ(response.status().code(), ctrl::Code::kUnavailable) << response.status().toString();
  EXPECT_THAT(response.status().message(), HasSubstr("SSL"));
}

TEST_P(TransportTest, SystemTrustStoreDoesNotTrustThePlane) {
  ctrl::RestConfig config = adminConfig();
  config.caPem.clear();
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  auto response = transport->send(get("/version"));
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kUnavailable);
}

TEST_P(TransportTest, InsecureSkipTlsVerifyAcceptsAnyServer) {
  ctrl::RestConfig config = adminConfig();
  config.caPem.clear();
  config.insecureSkipTlsVerify = true;
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  auto response = transport->send(get("/version"));
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
}

TEST_P(TransportTest, BearerTokenIsSentPerRequest) {
  ControlPlane& cp = sharedControlPlane();
  const std::string sa = uniqueName("sa");
  ProcessResult r = cp.kubectl({"create", "serviceaccount", sa, "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = cp.kubectl({"create", "token", sa, "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();

  ctrl::RestConfig config = adminConfig();
  config.clientCertPem.clear();
  config.clientKeyPem.clear();
  int calls = 0;
  config.bearerToken = [&] {
    ++calls;
    return token;
  };
  auto transport = newTransport(config);
  ASSERT_TRUE(transport);
  ctrl::HttpRequest request;
  request.method = "POST";
  request.target = "/apis/authentication.k8s.io/v1/selfsubjectreviews";
  request.headers = {{"Content-Type", "application/json"}, {"Accept", "application/json"}};
  request.body = R"({"apiVersion":"authentication.k8s.io/v1","kind":"SelfSubjectReview"})";
  for (int i = 0; i < 2; ++i) {
    auto response = transport->send(request);
    ASSERT_TRUE(response.isOk()) << response.status().toString();
    ASSERT_EQ(response->status, 201) << response->body;
    const auto review = nlohmann::json::parse(response->body);
    EXPECT_EQ(review.at("status").at("userInfo").at("username").get<std::string>(),
              "system:serviceaccount:default:" + sa);
  }
  EXPECT_EQ(calls, 2);
  cp.kubectl({"delete", "serviceaccount", sa, "-n", "default"});
}

TEST_P(TransportTest, CreateGetDeleteWithBodiesAndConcurrentRequests) {
  auto transport = newTransport(adminConfig());
  ASSERT_TRUE(transport);
  const std::string name = uniqueName("crud");
  ctrl::HttpRequest create;
  create.method = "POST";
  create.target = "/api/v1/namespaces/default/configmaps";
  create.headers = {{"Content-Type", "application/json"}};
  create.body = nlohmann::json{{"apiVersion", "v1"},
                               {"kind", "ConfigMap"},
                               {"metadata", {{"name", name}}},
                               {"data", {{"k", "v"}}}}
                    .dump();
  auto created = transport->send(create);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  ASSERT_EQ(created->status, 201) << created->body;

  // Several threads share the transport (and its keep-alive connections).
  std::vector<std::future<int>> results;
  for (int t = 0; t < 4; ++t) {
    results.push_back(std::async(std::launch::async, [&] {
      int ok = 0;
      for (int i = 0; i < 10; ++i) {
        auto got = transport->send(get("/api/v1/namespaces/default/configmaps/" + name));
        if (got.isOk() && got->status == 200 &&
            nlohmann::json::parse(got->body).at("data").at("k") == "v") {
          ++ok;
        }
      }
      return ok;
    }));
  }
  for (auto& result : results) EXPECT_EQ(result.get(), 10);

  ctrl::HttpRequest remove;
  remove.method = "DELETE";
  remove.target = "/api/v1/namespaces/default/configmaps/" + name;
  auto removed = transport->send(remove);
  ASSERT_TRUE(removed.isOk()) << removed.status().toString();
  EXPECT_EQ(removed->status, 200) << removed->body;
  auto gone = transport->send(get(remove.target));
  ASSERT_TRUE(gone.isOk());
  EXPECT_EQ(gone->status, 404);
}

TEST_P(TransportTest, WatchDeliversALinePerEventAndStopsOnRequest) {
  ControlPlane& cp = sharedControlPlane();
  auto transport = newTransport(adminConfig());
  ASSERT_TRUE(transport);
  const std::string label = uniqueName("watch");
  ctrl::HttpRequest request = get(
      "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=600&labelSelector=st-test%3D" +
      label);
  request.timeout = 900s;  // idle timeout above the server-side timeout

  LineCollector collector;
  std::stop_source stop;
  auto watch = std::async(std::launch::async, [&] {
    return transport->stream(
        request, [&](std::string_view line) { return collector.add(line); }, stop.get_token());
  });

  const std::vector<std::string> names = {label + "-a", label + "-b"};
  for (const auto& name : names) {
    ProcessResult r = cp.kubectl({"create", "configmap", name, "-n", "default"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    r = cp.kubectl({"label", "configmap", name, "-n", "default", "st-test=" + label});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_TRUE(collector.waitForLineWith({"\"name\":\"" + name + "\""})) << name;
  }
  ProcessResult r = cp.kubectl({"delete", "configmap", names[0], "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(collector.waitForLineWith({"\"DELETED\"", "\"name\":\"" + names[0] + "\""}));

  stop.request_stop();
  // A failure bound, not a measurement: the server would hold the watch for
  // ten minutes.
  ASSERT_EQ(watch.wait_for(60s), std::future_status::ready) << "watch did not stop";
  auto result = watch.get();
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), ctrl::Code::kCancelled) << result.status().toString();

  // Every line is one whole JSON event.
  const auto lines = collector.lines();
  EXPECT_GE(lines.size(), 3u);
  for (const auto& line : lines) {
    const auto event = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    ASSERT_FALSE(event.is_discarded()) << "not one JSON object per line";
    EXPECT_THAT(event.at("type").get<std::string>(),
                ::testing::AnyOf("ADDED", "MODIFIED", "DELETED"));
  }
  cp.kubectl({"delete", "configmap", names[1], "-n", "default"});
}

TEST_P(TransportTest, QuietWatchEndsCleanlyAtTheServerTimeout) {
  auto transport = newTransport(adminConfig());
  ASSERT_TRUE(transport);
  ctrl::HttpRequest request = get(
      "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=2&labelSelector=st-test%3D" +
      uniqueName("quiet"));
  request.timeout = 30s;  // idle timeout above timeoutSeconds
  int lines = 0;
  auto result = transport->stream(
      request,
      [&](std::string_view) {
        ++lines;
        return true;
      },
      std::stop_token());
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_EQ(result->status, 200);
  EXPECT_EQ(lines, 0);
}

TEST_P(TransportTest, QuietWatchBeyondTheIdleTimeoutIsTimeout) {
  auto transport = newTransport(adminConfig());
  ASSERT_TRUE(transport);
  ctrl::HttpRequest request = get(
      "/api/v1/namespaces/default/configmaps?watch=1&timeoutSeconds=300&labelSelector=st-test%3D" +
      uniqueName("idle"));
  request.timeout = 1s;  // shorter than the quiet gap: the idle timer fires
  auto result = transport->stream(
      request, [](std::string_view) { return true; }, std::stop_token());
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), ctrl::Code::kTimeout) << result.status().toString();
}

TEST_P(TransportTest, StreamOfAnUnknownResourceReturnsTheErrorStatus) {
  auto transport = newTransport(adminConfig());
  ASSERT_TRUE(transport);
  int lines = 0;
  auto result = transport->stream(
      get("/api/v1/namespaces/default/nosuchthings?watch=1"),
      [&](std::string_view) {
        ++lines;
        return true;
      },
      std::stop_token());
  ASSERT_TRUE(result.isOk()) << result.status().toString();
  EXPECT_EQ(result->status, 404);
  EXPECT_THAT(result->body, HasSubstr("NotFound"));
  EXPECT_EQ(lines, 0);
}

INSTANTIATE_TEST_SUITE_P(, TransportTest, ::testing::Values("Default", "CppRest"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
}  // namespace sttest
