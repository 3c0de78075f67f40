// Two managers (two "replicas") with REAL LeaderElectors on one Lease of a
// real kube-apiserver: only the leader runs its leader-only runnable; when the
// leader's manager is stopped it stops that work, hands the lease over, and
// the other replica's runnable starts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <condition_variable>
#include <future>
#include <mutex>

#include "admin_client.h"
#include "controller/client.h"
#include "controller/leader_elector.h"
#include "controller/manager.h"

namespace {

using namespace std::chrono_literals;

constexpr auto kWait = 60s;  // only bounds a hang

// Counts how often it started and whether it is running now.
class LeaderWork final : public ctrl::Runnable {
 public:
  explicit LeaderWork(std::string name) : name_(std::move(name)) {}
  ctrl::Status start(std::stop_token stop) override {
    std::unique_lock lock(mu_);
    running_ = true;
    ++starts_;
    cv_.notify_all();
    cv_.wait(lock, stop, [] { return false; });
    running_ = false;
    cv_.notify_all();
    return ctrl::Status::ok();
  }
  std::string name() const override { return name_; }
  bool needsLeaderElection() const override { return true; }

  bool waitRunning() {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return running_; });
  }
  bool running() {
    std::lock_guard lock(mu_);
    return running_;
  }
  int starts() {
    std::lock_guard lock(mu_);
    return starts_;
  }

 private:
  const std::string name_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool running_ = false;
  int starts_ = 0;
};

class Replica {
 public:
  Replica(const std::string& identity, const std::string& leaseName)
      : client_(sttest::adminClient()), work_(std::make_shared<LeaderWork>("work/" + identity)) {
    manager_.add(work_);
    ctrl::LeaderElectionConfig config;
    config.leaseNamespace = "default";
    config.leaseName = leaseName;
    config.identity = identity;
    config.leaseDuration = 3s;
    config.renewDeadline = 2s;
    config.retryPeriod = 500ms;
    config.callbacks = manager_.leaderCallbacks();
    // Also tell the test whom this replica saw leading.
    config.callbacks.onNewLeader =
        [this, forward = config.callbacks.onNewLeader](const std::string& holder) {
          forward(holder);
          std::lock_guard lock(mu_);
          observedLeader_ = holder;
          cv_.notify_all();
        };
    auto elector = ctrl::LeaderElector::create(*client_, ctrl::RealClock::instance(), config);
    EXPECT_TRUE(elector.isOk()) << elector.status().toString();
    if (elector.isOk()) manager_.setLeaderElector(std::move(elector).value());
    result_ = std::async(std::launch::async,
                         [this, token = stop_.get_token()] { return manager_.start(token); });
  }
  ~Replica() { stop_.request_stop(); }  // result_'s destructor then waits

  // Stops the manager and returns start()'s result.
  ctrl::Status stop() {
    stop_.request_stop();
    if (result_.wait_for(kWait) != std::future_status::ready) {
      return ctrl::errorStatus(ctrl::Code::kTimeout, "start() did not return");
    }
    return result_.get();
  }
  // Waits until this replica's elector has seen `holder` holding the lease.
  bool waitObserved(const std::string& holder) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return observedLeader_ == holder; });
  }
  LeaderWork& work() { return *work_; }
  ctrl::Manager& manager() { return manager_; }

 private:
  std::unique_ptr<ctrl::Client> client_;  // outlives the manager (declared first)
  std::shared_ptr<LeaderWork> work_;
  ctrl::Manager manager_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::string observedLeader_;  // guarded by mu_
  std::stop_source stop_;
  std::future<ctrl::Status> result_;
};

TEST(ManagerLeaderElectionTest, OnlyTheLeaderRunsLeaderWorkAndAStopHandsItOver) {
  const std::string lease = "manager-it-" + std::to_string(getpid());
  auto a = std::make_unique<Replica>("replica-a", lease);
  ASSERT_TRUE(a->work().waitRunning());  // alone: a leads
  auto b = std::make_unique<Replica>("replica-b", lease);
  ASSERT_TRUE(b->waitObserved("replica-a"));  // b campaigns and sees a's lease
  EXPECT_TRUE(b->manager().synced());
  EXPECT_FALSE(b->work().running());
  EXPECT_FALSE(b->manager().leading());

  const ctrl::Status aStatus = a->stop();
  EXPECT_TRUE(aStatus.isOk()) << aStatus.toString();
  EXPECT_FALSE(a->work().running());
  // Correctness, not speed, is asserted: b takes over and runs its work once.
  ASSERT_TRUE(b->work().waitRunning());
  EXPECT_TRUE(b->manager().leading());
  EXPECT_EQ(b->work().starts(), 1);
  EXPECT_EQ(a->work().starts(), 1);

  const ctrl::Status bStatus = b->stop();
  EXPECT_TRUE(bStatus.isOk()) << bStatus.toString();
}

}  // namespace
