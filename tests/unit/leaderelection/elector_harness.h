// Test harness for the leader elector: a fake Lease store whose every call is
// logged with the FAKE time it was made at, electors run on their own
// threads, and helpers that drive the fake clock one retry period at a time.
// Assertions compare fake timestamps (taken by the elector or the store), so
// they never depend on how fast the machine is.
#pragma once

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "controller/leader_elector.h"
#include "controller/micro_time.h"
#include "controller/resource.h"
#include "fake_clock.h"
#include "mocks/eventually.h"
#include "mocks/fake_lease_client.h"
#include "mocks/gate.h"

namespace sttest {

using namespace std::chrono_literals;

// What an elector's callbacks saw, with fake timestamps.
struct CallbackLog {
  std::mutex mu;
  int started = 0;
  int stopped = 0;
  ctrl::MonoTime stoppedAt{};
  std::vector<std::string> leaders;
  std::vector<std::string> sequence;  // "started", "stopped"

  int startedCount() {
    std::lock_guard lock(mu);
    return started;
  }
  int stoppedCount() {
    std::lock_guard lock(mu);
    return stopped;
  }
  std::vector<std::string> newLeaders() {
    std::lock_guard lock(mu);
    return leaders;
  }
};

// One elector running start() on its own thread.
class RunningElector {
 public:
  explicit RunningElector(std::unique_ptr<ctrl::LeaderElector> elector)
      : elector_(std::move(elector)) {
    auto done = std::make_shared<std::promise<ctrl::Status>>();
    result_ = done->get_future();
    thread_ = std::jthread(
        [this, done](std::stop_token stop) { done->set_value(elector_->start(stop)); });
  }
  ~RunningElector() {
    thread_.request_stop();
    if (thread_.joinable()) thread_.join();
  }

  bool isLeader() const { return elector_->isLeader(); }
  ctrl::WriteFence& fence() { return elector_->fence(); }
  // Requests stop without waiting for start() to return.
  void requestStop() { thread_.request_stop(); }
  std::string observedLeader() const { return elector_->observedLeader(); }

  // Requests stop and returns start()'s result.
  ctrl::Status stop() {
    thread_.request_stop();
    return result();
  }
  ctrl::Status result() {
    if (result_.wait_for(10s) != std::future_status::ready) {
      return ctrl::Status(ctrl::Code::kTimeout, "elector did not return");
    }
    return result_.get();
  }
  bool finished() { return result_.wait_for(0s) == std::future_status::ready; }

 private:
  std::unique_ptr<ctrl::LeaderElector> elector_;
  std::future<ctrl::Status> result_;
  std::jthread thread_;
};

class ElectorTest : public ::testing::Test {
 protected:
  struct Call {
    std::string verb;
    ctrl::MonoTime at;
  };

  ElectorTest() : leaseName_("lease-" + std::to_string(nextLease_++)) {
    client_.setInterceptor(
        [this](std::string_view verb, const ctrl::Resource&, std::string_view) -> ctrl::Status {
          std::function<ctrl::Status(std::string_view)> hook;
          {
            std::lock_guard lock(mu_);
            calls_.push_back({std::string(verb), clock_.now()});
            hook = hook_;
          }
          return hook ? hook(verb) : ctrl::Status::ok();
        });
  }

  ctrl::LeaderElectionConfig config(const std::string& identity, CallbackLog* log) {
    ctrl::LeaderElectionConfig c;
    c.leaseNamespace = "ns";
    c.leaseName = leaseName_;
    c.identity = identity;
    c.jitterFactor = 0;  // attempts exactly every retryPeriod
    if (log != nullptr) {
      c.callbacks.onStartedLeading = [log] {
        std::lock_guard lock(log->mu);
        ++log->started;
        log->sequence.push_back("started");
      };
      c.callbacks.onStoppedLeading = [this, log] {
        std::lock_guard lock(log->mu);
        ++log->stopped;
        log->stoppedAt = clock_.now();
        log->sequence.push_back("stopped");
      };
      c.callbacks.onNewLeader = [log](const std::string& who) {
        std::lock_guard lock(log->mu);
        log->leaders.push_back(who);
      };
    }
    return c;
  }

  std::unique_ptr<RunningElector> start(ctrl::LeaderElectionConfig c) {
    auto elector = ctrl::LeaderElector::create(client_, clock_, std::move(c));
    EXPECT_TRUE(elector.isOk()) << elector.status().toString();
    return std::make_unique<RunningElector>(std::move(elector).value());
  }

  // Fails (or blocks in) every later API call through `hook`.
  void setHook(std::function<ctrl::Status(std::string_view verb)> hook) {
    std::lock_guard lock(mu_);
    hook_ = std::move(hook);
  }

  // True once some API call was made at fake time >= `t`.
  bool callAtOrAfter(ctrl::MonoTime t) {
    std::lock_guard lock(mu_);
    for (const auto& c : calls_) {
      if (c.at >= t) return true;
    }
    return false;
  }
  // Fake times of every call with `verb`.
  std::vector<ctrl::MonoTime> callTimes(const std::string& verb) {
    std::lock_guard lock(mu_);
    std::vector<ctrl::MonoTime> out;
    for (const auto& c : calls_) {
      if (c.verb == verb) out.push_back(c.at);
    }
    return out;
  }

  // Advances fake time by `step` and waits until an elector has made its
  // attempt due at the new time (attempts are scheduled from the previous
  // attempt's start, so one is due at every retry period).
  void step(ctrl::Duration d = 2s) {
    clock_.advance(d);
    const ctrl::MonoTime now = clock_.now();
    ASSERT_TRUE(eventually([&] { return callAtOrAfter(now); })) << "no attempt after advance";
  }

  std::optional<ctrl::Json> lease() {
    return client_.object(ctrl::resources::lease(), "ns", leaseName_);
  }
  std::string holder() {
    auto l = lease();
    return l ? (*l)["spec"].value("holderIdentity", "") : "<none>";
  }

  // A lease written directly by another candidate.
  void putForeignLease(const std::string& holder, const std::string& renewTime,
                       int64_t transitions) {
    auto existing = lease();
    ctrl::Json l = existing ? *existing
                            : ctrl::Json{{"apiVersion", "coordination.k8s.io/v1"},
                                         {"kind", "Lease"},
                                         {"metadata", {{"name", leaseName_}, {"namespace", "ns"}}}};
    l["spec"] = {{"holderIdentity", holder},
                 {"leaseDurationSeconds", 15},
                 {"acquireTime", renewTime},
                 {"renewTime", renewTime},
                 {"leaseTransitions", transitions}};
    client_.put(ctrl::resources::lease(), "ns", l);
  }

  std::string wallText(ctrl::Duration offset = {}) {
    return ctrl::formatMicroTime(clock_.wallNow() +
                                 std::chrono::duration_cast<ctrl::WallTime::duration>(offset));
  }

  FakeClock clock_;
  FakeLeaseClient client_;
  std::string leaseName_;
  std::mutex mu_;
  std::vector<Call> calls_;
  std::function<ctrl::Status(std::string_view)> hook_;
  static inline std::atomic<int> nextLease_{0};
};

}  // namespace sttest
