// Runs the real verifier wiring (st::verifier::Verifier) in-process next to
// an in-process operator (OperatorHarness), against the real control plane
// and on the operator's FakeClock, and asks it questions over HTTP.
// Test-only; header-only.
//
// Token values are read from Secrets into plain strings here; tests never
// print them (assertions compare status codes and headers only).
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <thread>

#include "api/base64.h"
#include "http_client.h"
#include "integration/operator/operator_harness.h"
#include "token/token_hash.h"
#include "verifier/verifier.h"

namespace sttest {

class VerifierHarness {
 public:
  explicit VerifierHarness(OperatorHarness& op) : op_(op) {
    client_ = adminClient(op_.plane());
    if (!client_) std::abort();  // adminClient() reported why
    options_.ns = OperatorHarness::kOperatorNamespace;
    options_.bindAddress = "127.0.0.1:0";
    options_.metricsBindAddress = "127.0.0.1:0";
    options_.healthProbeBindAddress = "127.0.0.1:0";
    options_.threads = 2;
  }
  ~VerifierHarness() { stop(); }

  st::verifier::VerifierOptions& options() { return options_; }
  const st::verifier::Verifier& verifier() const { return *verifier_; }

  // Builds and starts the verifier; waits until it is ready (caches synced,
  // JWKS loaded) and listening.
  void start() {
    ASSERT_FALSE(verifier_) << "already running";
    st::verifier::VerifierDeps deps;
    deps.client = client_.get();
    deps.clock = &op_.clock();
    auto v = st::verifier::Verifier::create(options_, deps);
    ASSERT_TRUE(v.isOk()) << v.status().toString();
    verifier_ = std::move(v).value();
    stop_ = std::stop_source();
    thread_ = std::thread([this] { result_ = verifier_->run(stop_.get_token()); });
    ASSERT_TRUE(eventually([&] { return verifier_->ready() && verifier_->port() > 0; }))
        << "verifier not ready";
  }

  void stop() {
    if (!verifier_) return;
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(result_.isOk()) << result_.toString();
    verifier_.reset();
  }

  int port() const { return verifier_->port(); }

  // A forward-auth request as nginx sends it.
  HttpResult authorize(const std::string& token, const std::string& uri) {
    HeaderList headers{{"X-Original-URI", uri}, {"X-Original-Method", "GET"}};
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return httpRequest(port(), "GET", "/v1/authorize", headers);
  }
  int status(const std::string& token, const std::string& uri = "/api/v1/things") {
    return authorize(token, uri).status;
  }
  // Waits until `token` on `uri` gets `want`; returns the last status seen.
  int waitStatus(const std::string& token, int want, const std::string& uri = "/api/v1/things") {
    int last = 0;
    eventually([&] { return (last = status(token, uri)) == want; }, std::chrono::seconds(15));
    return last;
  }

 private:
  OperatorHarness& op_;
  std::unique_ptr<ctrl::Client> client_;
  st::verifier::VerifierOptions options_;
  std::unique_ptr<st::verifier::Verifier> verifier_;
  std::stop_source stop_;
  std::thread thread_;
  ctrl::Status result_;
};

// The current value of data[key] of Secret default/<name>, "" when absent.
inline std::string secretValue(OperatorHarness& h, const std::string& name,
                               const std::string& key = "token") {
  ctrl::Json s = h.secret(name);
  if (s.is_null() || !s.contains("data") || !s["data"].contains(key)) return "";
  auto v = st::base64Decode(s["data"][key].get<std::string>());
  return v.isOk() ? *v : std::string();
}

// Waits until ServiceToken `name` is Active with a token in its Secret whose
// revision is at least `revision`, and returns that token.
inline std::string activeToken(OperatorHarness& h, const std::string& name, int64_t revision = 1) {
  std::string token;
  EXPECT_TRUE(eventually([&] {
    if (h.phase(name) != "Active" || h.revision(name) < revision) return false;
    token = secretValue(h, name);
    return !token.empty() && h.token(name)["status"].value("tokenHash", "") == st::tokenHash(token);
  })) << "ServiceToken "
      << name << " did not become Active at revision " << revision;
  return token;
}

}  // namespace sttest
