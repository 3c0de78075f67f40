// Leadership as a fence, on a real kube-apiserver: replica A leads and is in
// the middle of a slow reconcile when its Lease traffic is cut off (its
// renewals fail, its data traffic still reaches the server: the worst case).
// Replica B takes the lease over. When A's reconcile goes on to its write,
// the write must not reach the API server: the object it would create is
// absent on the server afterwards.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>

#include "admin_client.h"
#include "controller/client.h"
#include "controller/controller.h"
#include "controller/leader_elector.h"
#include "controller/manager.h"
#include "controller/resource.h"
#include "mocks/gate.h"

namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 60s;  // only bounds a hang

// Forwards to a real client until cut(); then every call fails as if the
// network to the API server were down. Only the elector uses it.
class Partitionable final : public ctrl::Client {
 public:
  explicit Partitionable(ctrl::Client& inner) : inner_(inner) {}
  void cut() { cut_ = true; }

  ctrl::StatusOr<ctrl::Json> get(const ctrl::Resource& r, std::string_view ns,
                                 std::string_view name, const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.get(r, ns, name, c);
  }
  ctrl::StatusOr<ctrl::ListPage> list(const ctrl::Resource& r, std::string_view ns,
                                      const ctrl::ListOptions& o,
                                      const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.list(r, ns, o, c);
  }
  ctrl::Status watch(const ctrl::Resource& r, std::string_view ns, const ctrl::WatchOptions& o,
                     const ctrl::WatchHandler& h, std::stop_token stop) override {
    if (cut_) return down();
    return inner_.watch(r, ns, o, h, stop);
  }
  ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& o,
                                    const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.create(r, ns, object, o, c);
  }
  ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource& r, std::string_view ns,
                                               std::string_view name, std::string_view sub,
                                               const ctrl::Json& body,
                                               const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.createSubresource(r, ns, name, sub, body, c);
  }
  ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& o,
                                    const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.update(r, ns, object, o, c);
  }
  ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource& r, std::string_view ns,
                                          const ctrl::Json& object,
                                          const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.updateStatus(r, ns, object, c);
  }
  ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource& r, std::string_view ns,
                                   std::string_view name, ctrl::PatchType type, const ctrl::Json& p,
                                   const ctrl::PatchOptions& o,
                                   const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.patch(r, ns, name, type, p, o, c);
  }
  ctrl::Status remove(const ctrl::Resource& r, std::string_view ns, std::string_view name,
                      const ctrl::DeleteOptions& o, const ctrl::CallOptions& c) override {
    if (cut_) return down();
    return inner_.remove(r, ns, name, o, c);
  }

 private:
  static ctrl::Status down() { return {ctrl::Code::kUnavailable, "network partitioned (test)"}; }
  ctrl::Client& inner_;
  std::atomic<bool> cut_{false};
};

// Waits for a gate, then creates the ConfigMap named by the request.
class SlowCreator final : public ctrl::Reconciler {
 public:
  SlowCreator(ctrl::Client& client, sttest::Gate& gate) : client_(client), gate_(gate) {}
  ctrl::StatusOr<ctrl::Result> reconcile(const ctrl::Request& request, std::stop_token) override {
    {
      std::lock_guard lock(mu_);
      entered_ = true;
      cv_.notify_all();
    }
    gate_.wait();
    ctrl::Json cm = {{"apiVersion", "v1"},
                     {"kind", "ConfigMap"},
                     {"metadata", {{"name", request.name}}},
                     {"data", {{"written-by", "replica-a"}}}};
    auto created = client_.create(ctrl::resources::configMap(), request.ns, cm);
    std::lock_guard lock(mu_);
    result_ = created.status();
    cv_.notify_all();
    if (!created.isOk()) return created.status();
    return ctrl::Result{};
  }
  bool waitEntered() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return entered_; });
  }
  std::optional<ctrl::Status> waitResult() {
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, kWait, [&] { return result_.has_value(); });
    return result_;
  }

 private:
  ctrl::Client& client_;
  sttest::Gate& gate_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool entered_ = false;
  std::optional<ctrl::Status> result_;
};

ctrl::LeaderElectionConfig fastLease(const std::string& lease, const std::string& identity) {
  ctrl::LeaderElectionConfig config;
  config.leaseNamespace = "default";
  config.leaseName = lease;
  config.identity = identity;
  config.leaseDuration = 3s;
  config.renewDeadline = 2s;
  config.retryPeriod = 500ms;
  return config;
}

TEST(ManagerFenceTest, APartitionedLeaderDoesNotWriteAfterAnotherReplicaTookOver) {
  const std::string lease = "fence-it-" + std::to_string(getpid());
  const std::string name = "fence-it-" + std::to_string(getpid());
  auto client = sttest::adminClient();
  ASSERT_TRUE(client);
  sttest::Gate gate;

  // Replica A: the elector on a partitionable client; the reconciler writes
  // through the fence, on a client the partition does not touch.
  Partitionable leaseTraffic(*client);
  ctrl::Manager managerA;
  ctrl::LeaderElectionConfig configA = fastLease(lease, "replica-a");
  configA.callbacks = managerA.leaderCallbacks();
  auto electorA = ctrl::LeaderElector::create(leaseTraffic, ctrl::RealClock::instance(), configA);
  ASSERT_TRUE(electorA.isOk()) << electorA.status().toString();
  std::shared_ptr<ctrl::LeaderElector> a = std::move(electorA).value();
  auto fenced = ctrl::makeFencedClient(*client, a->fence());
  auto reconciler = std::make_unique<SlowCreator>(*fenced, gate);
  SlowCreator& slow = *reconciler;
  ctrl::ControllerOptions options;
  options.name = "fence-it";
  options.workers = 1;
  auto controller = std::make_shared<ctrl::Controller>(std::move(options), std::move(reconciler));
  managerA.add(controller);
  managerA.setLeaderElector(a);

  // Replica B: an elector alone, started once A's lease traffic is cut.
  std::promise<void> bLeads;
  ctrl::LeaderElectionConfig configB = fastLease(lease, "replica-b");
  configB.callbacks.onStartedLeading = [&] { bLeads.set_value(); };
  auto electorB = ctrl::LeaderElector::create(*client, ctrl::RealClock::instance(), configB);
  ASSERT_TRUE(electorB.isOk()) << electorB.status().toString();
  std::shared_ptr<ctrl::LeaderElector> b = std::move(electorB).value();

  std::stop_source stopA, stopB;
  std::future<ctrl::Status> resultA, resultB;
  struct StopOnExit {  // whatever happens, nothing is left blocked or running
    sttest::Gate& gate;
    std::stop_source& a;
    std::stop_source& b;
    ~StopOnExit() {
      gate.open();
      a.request_stop();
      b.request_stop();
    }
  } stopOnExit{gate, stopA, stopB};

  resultA = std::async(std::launch::async,
                       [&, token = stopA.get_token()] { return managerA.start(token); });
  controller->enqueue("default", name);  // waits in the queue until A leads
  ASSERT_TRUE(slow.waitEntered()) << "replica A never reconciled";
  leaseTraffic.cut();

  resultB =
      std::async(std::launch::async, [&, token = stopB.get_token()] { return b->start(token); });
  ASSERT_EQ(bLeads.get_future().wait_for(kWait), std::future_status::ready)
      << "replica B never took the lease over";

  gate.open();  // A's reconcile goes on to its write
  const std::optional<ctrl::Status> written = slow.waitResult();
  ASSERT_TRUE(written.has_value()) << "A's reconcile never finished";
  EXPECT_EQ(written->code(), ctrl::Code::kFenced) << written->toString();
  auto onServer = client->get(ctrl::resources::configMap(), "default", name);
  EXPECT_EQ(onServer.status().code(), ctrl::Code::kNotFound)
      << "replica A wrote after replica B took the lease over";
  if (onServer.isOk()) (void)client->remove(ctrl::resources::configMap(), "default", name);

  ASSERT_EQ(resultA.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(resultA.get().code(), ctrl::Code::kUnavailable) << "A must stop: it lost the lease";
  stopB.request_stop();
  ASSERT_EQ(resultB.wait_for(kWait), std::future_status::ready);
  EXPECT_TRUE(resultB.get().isOk());
}

}  // namespace
