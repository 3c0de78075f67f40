// The manager in a process that receives SIGTERM with a reconcile in flight,
// with the real cpprestsdk HTTP server and transport: /metrics, /healthz and
// /readyz answer over real HTTP, and start() returns within its bound.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <csignal>
#include <future>
#include <mutex>

#include "controller/controller.h"
#include "controller/http_server.h"
#include "controller/manager.h"
#include "controller/signals.h"
#include "controller/transport.h"

namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kWait = 30s;  // only bounds a hang

// A reconciler that, for its first request, blocks until stop (or, when
// `ignoreStop`, until release()), recording what happened.
class BlockingReconciler final : public ctrl::Reconciler {
 public:
  struct State {
    std::mutex mu;
    std::condition_variable_any cv;
    bool entered = false;
    bool sawStop = false;
    bool returned = false;
    bool released = false;
    bool ignoreStop = false;

    bool waitFor(bool State::*flag) {
      std::unique_lock lock(mu);
      return cv.wait_for(lock, kWait, [&] { return this->*flag; });
    }
  };

  explicit BlockingReconciler(std::shared_ptr<State> state) : state_(std::move(state)) {}

  ctrl::StatusOr<ctrl::Result> reconcile(const ctrl::Request&, std::stop_token stop) override {
    std::unique_lock lock(state_->mu);
    state_->entered = true;
    state_->cv.notify_all();
    state_->cv.wait(lock, stop, [] { return false; });
    state_->sawStop = stop.stop_requested();
    state_->cv.notify_all();
    if (state_->ignoreStop) state_->cv.wait(lock, [&] { return state_->released; });
    state_->returned = true;
    state_->cv.notify_all();
    return ctrl::Result{};
  }

 private:
  std::shared_ptr<State> state_;
};

std::unique_ptr<ctrl::Transport> transportTo(int port) {
  ctrl::RestConfig config;
  config.server = "http://127.0.0.1:" + std::to_string(port);
  auto transport = ctrl::makeCppRestTransport(config);
  EXPECT_TRUE(transport.isOk()) << transport.status().toString();
  return transport.isOk() ? std::move(transport).value() : nullptr;
}

ctrl::StatusOr<ctrl::HttpResponse> get(ctrl::Transport& transport, const std::string& path) {
  ctrl::HttpRequest request;
  request.target = path;
  request.timeout = 10s;
  return transport.send(request);
}

// Requests stop when a test returns early (a failed ASSERT), so the future
// holding start() does not block forever. Declare it after that future.
struct StopOnExit {
  std::stop_source source;
  ~StopOnExit() { source.request_stop(); }
};

struct Fixture {
  explicit Fixture(std::string controllerName, ctrl::Duration bound, bool ignoreStop) {
    state->ignoreStop = ignoreStop;
    ctrl::ManagerOptions options;
    options.metricsBindAddress = "127.0.0.1:0";
    options.healthProbeBindAddress = "127.0.0.1:0";
    options.httpServerFactory = ctrl::makeCppRestHttpServer;
    options.gracefulShutdownTimeout = bound;
    manager = std::make_unique<ctrl::Manager>(std::move(options));
    ctrl::ControllerOptions controllerOptions;
    controllerOptions.name = std::move(controllerName);
    controllerOptions.workers = 1;
    auto controller = std::make_shared<ctrl::Controller>(
        std::move(controllerOptions), std::make_unique<BlockingReconciler>(state));
    controller->enqueue("default", "in-flight");
    manager->add(controller);
  }

  std::shared_ptr<BlockingReconciler::State> state = std::make_shared<BlockingReconciler::State>();
  std::unique_ptr<ctrl::Manager> manager;
};

TEST(ManagerSignalTest, SigtermStopsTheManagerWithAReconcileInFlight) {
  std::stop_source stop = ctrl::installSignalHandlers();
  Fixture f("manager-signal-test", 20s, /*ignoreStop=*/false);
  auto result = std::async(std::launch::async,
                           [&, token = stop.get_token()] { return f.manager->start(token); });
  const StopOnExit guard{stop};
  ASSERT_TRUE(f.state->waitFor(&BlockingReconciler::State::entered));
  ASSERT_NE(f.manager->metricsPort(), 0);
  ASSERT_NE(f.manager->probePort(), 0);
  ASSERT_NE(f.manager->metricsPort(), f.manager->probePort());

  auto metrics = transportTo(f.manager->metricsPort());
  auto probes = transportTo(f.manager->probePort());
  ASSERT_TRUE(metrics && probes);
  const auto metricsResponse = get(*metrics, "/metrics");
  ASSERT_TRUE(metricsResponse.isOk()) << metricsResponse.status().toString();
  EXPECT_EQ(metricsResponse->status, 200);
  EXPECT_THAT(metricsResponse->body,
              HasSubstr("controller_runtime_active_workers{controller=\"manager-signal-test\"} 1"));
  for (const char* path : {"/healthz", "/readyz", "/healthz/ping", "/readyz/informer-sync"}) {
    const auto response = get(*probes, path);
    ASSERT_TRUE(response.isOk()) << path << ": " << response.status().toString();
    EXPECT_EQ(response->status, 200) << path;
    EXPECT_EQ(response->body, "ok") << path;
  }
  const auto unknown = get(*probes, "/metrics");  // not on the probe server
  ASSERT_TRUE(unknown.isOk());
  EXPECT_EQ(unknown->status, 404);

  ASSERT_EQ(std::raise(SIGTERM), 0);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  const ctrl::Status status = result.get();
  EXPECT_TRUE(status.isOk()) << status.toString();
  // The in-flight reconcile was told to stop and returned before start() did.
  std::lock_guard lock(f.state->mu);
  EXPECT_TRUE(f.state->sawStop);
  EXPECT_TRUE(f.state->returned);
}

TEST(ManagerSignalTest, ServersAreClosedAfterShutdown) {
  std::stop_source stop = ctrl::installSignalHandlers();
  Fixture f("manager-closed-test", 20s, false);
  auto result = std::async(std::launch::async,
                           [&, token = stop.get_token()] { return f.manager->start(token); });
  const StopOnExit guard{stop};
  ASSERT_TRUE(f.state->waitFor(&BlockingReconciler::State::entered));
  auto probes = transportTo(f.manager->probePort());
  ASSERT_TRUE(probes);
  ASSERT_TRUE(get(*probes, "/healthz").isOk());
  ASSERT_EQ(std::raise(SIGINT), 0);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  ASSERT_TRUE(result.get().isOk());
  const auto after = get(*probes, "/healthz");
  ASSERT_FALSE(after.isOk());
  EXPECT_EQ(after.status().code(), ctrl::Code::kUnavailable);
}

TEST(ManagerSignalTest, ReconcileIgnoringStopMakesStartReturnTimeout) {
  std::stop_source stop = ctrl::installSignalHandlers();
  Fixture f("manager-stuck-test", 1s, /*ignoreStop=*/true);
  auto result = std::async(std::launch::async,
                           [&, token = stop.get_token()] { return f.manager->start(token); });
  const StopOnExit guard{stop};
  ASSERT_TRUE(f.state->waitFor(&BlockingReconciler::State::entered));
  ASSERT_EQ(std::raise(SIGTERM), 0);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kTimeout);
  EXPECT_THAT(status.message(), HasSubstr("manager-stuck-test"));
  {
    std::lock_guard lock(f.state->mu);
    EXPECT_TRUE(f.state->sawStop);
    EXPECT_FALSE(f.state->returned);
    f.state->released = true;
    f.state->cv.notify_all();
  }
  // The detached controller thread finishes on its own; wait for the
  // reconcile to return so the test ends with nothing half-done.
  EXPECT_TRUE(f.state->waitFor(&BlockingReconciler::State::returned));
}

}  // namespace
