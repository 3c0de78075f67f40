// A leader that loses its lease while a reconcile is slow must not write
// after leadership ended: the real Manager, LeaderElector, Controller and
// Client, with fakes only for the Lease store and the API server's transport,
// on a fake clock. The reconciler writes through makeFencedClient(client,
// elector.fence()), as leader-only code does in production.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "controller/client.h"
#include "controller/controller.h"
#include "controller/leader_elector.h"
#include "controller/manager.h"
#include "controller/resource.h"
#include "controller/workqueue.h"
#include "fake_clock.h"
#include "mocks/eventually.h"
#include "mocks/fake_lease_client.h"
#include "mocks/fake_transport.h"
#include "mocks/gate.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;

// Creates a ConfigMap per request, after `before` returns (a slow reconcile
// that does not watch its stop token, as most do not), and records how the
// write ended.
class WritingReconciler final : public ctrl::Reconciler {
 public:
  WritingReconciler(ctrl::Client& client, std::function<void()> before)
      : client_(client), before_(std::move(before)) {}

  ctrl::StatusOr<ctrl::Result> reconcile(const ctrl::Request& request, std::stop_token) override {
    entered_ = true;
    entered_.notify_all();
    if (before_) before_();
    ctrl::Json cm = {
        {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", request.name}}}};
    auto created = client_.create(ctrl::resources::configMap(), request.ns, cm);
    {
      std::lock_guard lock(mu_);
      result_ = created.status();
      done_ = true;
    }
    if (!created.isOk()) return created.status();
    return ctrl::Result{};
  }

  bool entered() const { return entered_; }
  // How the write ended, once it has.
  std::optional<ctrl::Status> result() const {
    std::lock_guard lock(mu_);
    if (!done_) return std::nullopt;
    return result_;
  }

 private:
  ctrl::Client& client_;
  std::function<void()> before_;
  std::atomic<bool> entered_{false};
  mutable std::mutex mu_;
  bool done_ = false;
  ctrl::Status result_;
};

class ManagerFenceTest : public ::testing::Test {
 protected:
  // Wires a manager with leader election and one controller whose
  // reconciler runs `before` ahead of its write.
  void build(std::function<void()> before) {
    auto transport = std::make_unique<FakeTransport>(&clock_);
    apiserver_ = transport.get();
    ctrl::RestConfig rest;
    rest.server = "https://unit.test:6443";
    ctrl::ClientOptions clientOptions;
    clientOptions.clock = &clock_;
    client_ = ctrl::makeClient(std::move(transport), rest, clientOptions);

    ctrl::ManagerOptions options;
    options.clock = &clock_;
    manager_ = std::make_unique<ctrl::Manager>(std::move(options));
    ctrl::LeaderElectionConfig le;
    le.leaseNamespace = "ns";
    le.leaseName = "fence-test";
    le.identity = "a";
    le.jitterFactor = 0;
    le.callbacks = manager_->leaderCallbacks();
    auto elector = ctrl::LeaderElector::create(leases_, clock_, std::move(le));
    ASSERT_TRUE(elector.isOk()) << elector.status().toString();
    elector_ = std::shared_ptr<ctrl::LeaderElector>(std::move(elector).value());
    fenced_ = ctrl::makeFencedClient(*client_, elector_->fence());

    auto reconciler = std::make_unique<WritingReconciler>(*fenced_, std::move(before));
    reconciler_ = reconciler.get();
    ctrl::ControllerOptions co;
    co.name = "fence-test-" + std::to_string(nextController_++);
    co.workers = 1;
    co.clock = &clock_;
    controller_ = std::make_shared<ctrl::Controller>(std::move(co), std::move(reconciler));
    manager_->add(controller_);
    manager_->setLeaderElector(elector_);
  }

  void startLeading() {
    result_ = std::async(std::launch::async, [this] { return manager_->start(stop_.get_token()); });
    ASSERT_TRUE(eventually([&] { return manager_->leading(); })) << "never started leading";
  }

  // Every later Lease request fails; then the renew deadline passes.
  void loseTheLease() {
    leases_.setInterceptor([](std::string_view, const ctrl::Resource&, std::string_view) {
      return ctrl::Status(ctrl::Code::kUnavailable, "connection refused");
    });
    clock_.advance(10s);
    ASSERT_TRUE(eventually([&] { return !elector_->fence().mayWrite(); }));
  }

  ctrl::Status managerResult() {
    if (result_.wait_for(20s) != std::future_status::ready) {
      stop_.request_stop();
      return ctrl::Status(ctrl::Code::kTimeout, "the manager did not return");
    }
    return result_.get();
  }

  FakeClock clock_;
  FakeLeaseClient leases_;
  FakeTransport* apiserver_ = nullptr;  // owned by client_
  std::unique_ptr<ctrl::Client> client_;
  std::unique_ptr<ctrl::Client> fenced_;
  std::unique_ptr<ctrl::Manager> manager_;
  std::shared_ptr<ctrl::LeaderElector> elector_;
  std::shared_ptr<ctrl::Controller> controller_;
  WritingReconciler* reconciler_ = nullptr;
  std::stop_source stop_;
  std::future<ctrl::Status> result_;
  static inline std::atomic<int> nextController_{0};
};

TEST_F(ManagerFenceTest, SlowReconcileDoesNotWriteAfterTheLeaseWasLost) {
  Gate slow;
  Gate::OpenOnExit unblock{slow};  // even when an assertion fails
  build([&] { slow.wait(); });
  startLeading();
  controller_->enqueue("ns", "cm");
  ASSERT_TRUE(eventually([&] { return reconciler_->entered(); }));

  loseTheLease();
  slow.open();  // the reconcile goes on to its write
  ASSERT_TRUE(eventually([&] { return reconciler_->result().has_value(); }));
  EXPECT_EQ(reconciler_->result()->code(), ctrl::Code::kFenced)
      << reconciler_->result()->toString();
  EXPECT_EQ(apiserver_->requestCount(), 0u) << "a write reached the API server after the lease";

  const ctrl::Status result = managerResult();
  EXPECT_EQ(result.code(), ctrl::Code::kUnavailable) << result.toString();
  // Fenced is "stop", not a failure to retry with backoff.
  EXPECT_EQ(controller_->queue().numRequeues("ns/cm"), 0);
}

TEST_F(ManagerFenceTest, WriteInFlightIsAbandonedWhenTheLeaseIsLost) {
  build(nullptr);
  std::atomic<bool> sending{false};
  apiserver_->setSendHook([&](const ctrl::HttpRequest&, std::stop_token stop) {
    sending = true;
    // The API server never answers: only cancellation ends the exchange
    // (the bound is a safety net for a failing run).
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, 20s, [] { return false; });
  });
  startLeading();
  controller_->enqueue("ns", "cm");
  ASSERT_TRUE(eventually([&] { return sending.load(); }));

  loseTheLease();
  ASSERT_TRUE(eventually([&] { return reconciler_->result().has_value(); }))
      << "the write outlived the leadership it was sent under";
  EXPECT_EQ(reconciler_->result()->code(), ctrl::Code::kFenced)
      << reconciler_->result()->toString();
  EXPECT_EQ(managerResult().code(), ctrl::Code::kUnavailable);
  EXPECT_EQ(controller_->queue().numRequeues("ns/cm"), 0);
}

}  // namespace
}  // namespace sttest
