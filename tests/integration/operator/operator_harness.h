// Runs the real operator wiring (st::Operator) in-process against the real
// control plane, with a FakeClock for time, a RecordingClient for write
// counts and fault injection, and logs captured at the most verbose level.
// Test-only; header-only so every test file of this binary can include it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "admin_client.h"
#include "api/codec.h"
#include "api/types.h"
#include "control_plane.h"
#include "controller/client.h"
#include "controller/log.h"
#include "controller/metrics.h"
#include "fake_clock.h"
#include "mocks/eventually.h"
#include "operator/operator.h"
#include "recording_client.h"

namespace sttest {

// A thread-safe string sink for the log output.
class LogCapture {
 public:
  LogCapture() { ctrl::log::configure(ctrl::log::Format::kJson, ctrl::log::kMaxLevel, &out_); }
  ~LogCapture() { ctrl::log::configure(ctrl::log::Format::kText, 0, nullptr); }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

class OperatorHarness {
 public:
  static constexpr const char* kNamespace = "default";
  static constexpr const char* kOperatorNamespace = "servicetoken-system";

  explicit OperatorHarness(ControlPlane& cp = sharedControlPlane()) : cp_(cp) {
    static bool installed = false;
    if (!installed) {
      ctrl::Status crds = cp_.installCrds();
      EXPECT_TRUE(crds.isOk()) << crds.toString();
      cp_.kubectl({"create", "namespace", kOperatorNamespace});
      installed = true;
    }
    api_ = adminClient(cp_);
    if (!api_) std::abort();  // adminClient() reported why; a constructor cannot ASSERT
    client_ = std::make_unique<RecordingClient>(*api_);
    options_.ns = kOperatorNamespace;
    options_.metricsBindAddress = "0";
    options_.healthProbeBindAddress = "0";
    options_.workers = 4;
  }
  ~OperatorHarness() { stop(); }

  st::OperatorOptions& options() { return options_; }
  FakeClock& clock() { return clock_; }
  RecordingClient& client() { return *client_; }
  ctrl::Client& api() { return *api_; }
  ControlPlane& plane() { return cp_; }
  const st::Operator& op() const { return *op_; }

  // Builds and starts a fresh operator (a "process start") and waits for its
  // caches to sync.
  void start() {
    ASSERT_FALSE(op_) << "already running";
    st::OperatorDeps deps;
    deps.client = client_.get();
    deps.clock = &clock_;
    auto op = st::Operator::create(options_, deps);
    ASSERT_TRUE(op.isOk()) << op.status().toString();
    op_ = std::move(op).value();
    stop_ = std::stop_source();
    runResult_ = ctrl::Status::ok();
    thread_ = std::thread([this] { runResult_ = op_->run(stop_.get_token()); });
    ASSERT_TRUE(eventually([&] { return op_->synced(); })) << "caches did not sync";
  }

  // Stops the operator (as SIGTERM would) and waits for it.
  void stop() {
    if (!op_) return;
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
    EXPECT_TRUE(runResult_.isOk()) << runResult_.toString();
    op_.reset();
  }

  // kubectl apply of a manifest; fails the test on error.
  void apply(const std::string& manifest) {
    ProcessResult r = cp_.kubectl({"apply", "-f", "-"}, manifest);
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  ProcessResult kubectl(const std::vector<std::string>& args, const std::string& input = "") {
    return cp_.kubectl(args, input);
  }

  // Live reads (not the operator's cache).
  ctrl::Json token(const std::string& name) { return getOrNull(st::serviceTokenResource(), name); }
  ctrl::Json secret(const std::string& name) { return getOrNull(ctrl::resources::secret(), name); }
  std::string phase(const std::string& name) {
    ctrl::Json t = token(name);
    if (t.is_null() || !t.contains("status")) return "";
    return t["status"].value("phase", "");
  }
  int64_t revision(const std::string& name) {
    ctrl::Json t = token(name);
    if (t.is_null() || !t.contains("status")) return 0;
    return t["status"].value("revision", int64_t{0});
  }
  std::string secretAnnotation(const std::string& name, const std::string& key) {
    ctrl::Json s = secret(name);
    if (s.is_null()) return "";
    return s["metadata"]["annotations"].value(key, "");
  }
  // The reasons of events about `name`, oldest first.
  std::vector<std::string> eventReasons(const std::string& name, const char* ns = kNamespace) {
    std::vector<std::string> out;
    ctrl::ListOptions o;
    o.fieldSelector = "regarding.name=" + name;
    auto page = api_->list(ctrl::resources::event(), ns, o);
    if (!page.isOk()) return out;
    for (const auto& e : *page->items) out.push_back(e.value("reason", ""));
    return out;
  }

  // Waits until the token's status.phase is `want`.
  bool waitPhase(const std::string& name, const std::string& want,
                 std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    return eventually([&] { return phase(name) == want; }, timeout);
  }

  // Reconciles completed so far by `controller` ("servicetoken" or
  // "serviceuser") in this process, from controller_runtime_reconcile_total.
  static double reconciles(const std::string& controller) {
    std::istringstream lines(ctrl::renderMetrics(*ctrl::metricsRegistry()));
    double total = 0;
    const std::string prefix = "controller_runtime_reconcile_total{";
    for (std::string line; std::getline(lines, line);) {
      if (line.rfind(prefix, 0) != 0) continue;
      if (line.find("controller=\"" + controller + "\"") == std::string::npos) continue;
      total += std::stod(line.substr(line.rfind(' ') + 1));
    }
    return total;
  }

  // Moves fake time forward in steps so scheduled work due at each step runs.
  void advance(ctrl::Duration d) { clock_.advance(d); }

 private:
  ctrl::Json getOrNull(const ctrl::Resource& r, const std::string& name) {
    auto got = api_->get(r, kNamespace, name);
    return got.isOk() ? std::move(got).value() : ctrl::Json(nullptr);
  }

  ControlPlane& cp_;
  FakeClock clock_;
  std::unique_ptr<ctrl::Client> api_;
  std::unique_ptr<RecordingClient> client_;
  st::OperatorOptions options_;
  std::unique_ptr<st::Operator> op_;
  std::stop_source stop_;
  std::thread thread_;
  ctrl::Status runResult_;
};

// Manifests.
inline std::string serviceUser(const std::string& name, const std::string& displayName) {
  return "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: " + name +
         ", namespace: default}\nspec:\n  displayName: " + displayName + "\n  email: " + name +
         "@example.com\n";
}

inline std::string serviceToken(const std::string& name, const std::string& user,
                                const std::string& displayName, const std::string& extraSpec = "",
                                const std::string& expiration = "30d") {
  return "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata: {name: " + name +
         ", namespace: default}\nspec:\n  displayName: " + displayName +
         "\n  type: Service\n  serviceUserRef: {name: " + user + "}\n  expiration: " + expiration +
         "\n" + extraSpec;
}

}  // namespace sttest
