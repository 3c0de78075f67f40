// Two electors on one Lease of a REAL kube-apiserver, in real time with short
// durations (lease 3 s, renew deadline 2 s, retry 0.5 s): never two leaders at
// once; a leader that stops renewing is replaced after the lease expires; a
// graceful stop hands the lease over before it would have expired.
//
// Bounds are correctness bounds with generous slack, not speed benchmarks.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "admin_client.h"
#include "control_plane.h"
#include "controller/client.h"
#include "controller/leader_elector.h"
#include "controller/resource.h"
#include "mocks/eventually.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;
using Seconds = std::chrono::duration<double>;
using Steady = std::chrono::steady_clock;

// Parses a MicroTime ("2026-01-02T03:04:05.123456Z") written on this machine.
std::chrono::system_clock::time_point parseMicroTime(const std::string& text) {
  std::tm tm{};
  int micros = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &micros) != 7) {
    ADD_FAILURE() << "not a MicroTime: " << text;
    return {};
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return std::chrono::system_clock::from_time_t(timegm(&tm)) + std::chrono::microseconds(micros);
}

// One replica: its own client (as a separate process would have) and elector
// running on its own thread.
class Replica {
 public:
  Replica(const std::string& identity, ctrl::LeaderElectionConfig config) : client_(adminClient()) {
    config.identity = identity;
    auto elector = ctrl::LeaderElector::create(*client_, ctrl::RealClock::instance(), config);
    EXPECT_TRUE(elector.isOk()) << elector.status().toString();
    elector_ = std::move(elector).value();
    auto done = std::make_shared<std::promise<ctrl::Status>>();
    result_ = done->get_future();
    thread_ =
        std::jthread([this, done](std::stop_token s) { done->set_value(elector_->start(s)); });
  }
  ~Replica() { (void)stop(); }

  bool isLeader() const { return elector_->isLeader(); }
  std::string observedLeader() const { return elector_->observedLeader(); }
  // Stops campaigning (releasing the lease if the config says so) and
  // returns start()'s result.
  ctrl::Status stop() {
    if (!thread_.joinable()) return ctrl::Status::ok();
    thread_.request_stop();
    thread_.join();
    return result_.get();
  }

 private:
  std::unique_ptr<ctrl::Client> client_;
  std::unique_ptr<ctrl::LeaderElector> elector_;
  std::future<ctrl::Status> result_;
  std::jthread thread_;
};

// Samples both replicas' isLeader() in a tight loop for the whole test.
class TwoLeadersDetector {
 public:
  TwoLeadersDetector(const Replica& a, const Replica& b)
      : thread_([this, &a, &b](std::stop_token stop) {
          while (!stop.stop_requested()) {
            if (a.isLeader() && b.isLeader()) both_.fetch_add(1);
            samples_.fetch_add(1);
            std::this_thread::yield();
          }
        }) {}
  uint64_t both() const { return both_.load(); }
  uint64_t samples() const { return samples_.load(); }

 private:
  std::atomic<uint64_t> both_{0};
  std::atomic<uint64_t> samples_{0};
  std::jthread thread_;
};

class LeaseIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = adminClient();
    ASSERT_NE(client_, nullptr);
    static std::atomic<int> counter{0};
    name_ = "lease-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  }

  ctrl::LeaderElectionConfig shortLease(bool release) const {
    ctrl::LeaderElectionConfig c;
    c.leaseNamespace = "default";
    c.leaseName = name_;
    c.leaseDuration = 3s;
    c.renewDeadline = 2s;
    c.retryPeriod = 500ms;
    c.releaseOnCancel = release;
    return c;
  }

  ctrl::Json lease() {
    auto l = client_->get(ctrl::resources::lease(), "default", name_);
    EXPECT_TRUE(l.isOk()) << l.status().toString();
    return l.isOk() ? *l : ctrl::Json::object();
  }
  std::string renewTime() { return lease()["spec"].value("renewTime", ""); }

  std::unique_ptr<ctrl::Client> client_;
  std::string name_;
};

TEST_F(LeaseIntegrationTest, StandbyTakesOverOnlyAfterTheStoppedLeadersLeaseExpires) {
  const auto config = shortLease(/*release=*/false);
  Replica a("replica-a", config);
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }, 60s));
  Replica b("replica-b", config);
  TwoLeadersDetector detector(a, b);
  ASSERT_TRUE(eventually([&] { return b.observedLeader() == "replica-a"; }, 30s));

  // The leader keeps renewing while the standby watches.
  for (int i = 0; i < 3; ++i) {
    const std::string before = renewTime();
    ASSERT_TRUE(eventually([&] { return renewTime() != before; }, 30s)) << "no renewal";
    EXPECT_TRUE(a.isLeader());
    EXPECT_FALSE(b.isLeader());
  }

  // The leader stops renewing WITHOUT releasing (as if its process froze).
  ASSERT_TRUE(a.stop().isOk());
  const auto stopped = Steady::now();
  const ctrl::Json last = lease();
  ASSERT_EQ(last["spec"]["holderIdentity"], "replica-a") << "not released";

  ASSERT_TRUE(eventually([&] { return b.isLeader(); }, 60s));
  const double afterStop = Seconds(Steady::now() - stopped).count();
  // Upper bound: leaseDuration + one jittered retry (0.5 s * 2.2) + generous slack.
  EXPECT_LE(afterStop, 3.0 + 1.1 + 6.0) << "took " << afterStop << " s";

  auto l = lease();
  // Lower bound: the standby saw the last renewal no earlier than it was
  // started (renewTime) and then waited the full lease. Both replicas run on
  // this machine, so their timestamps are comparable here (the algorithm itself
  // never compares them); 50 ms allow for clock-rate adjustments.
  const auto lastRenewal = parseMicroTime(last["spec"]["renewTime"].get<std::string>());
  const auto takeover = parseMicroTime(l["spec"]["acquireTime"].get<std::string>());
  EXPECT_GE(takeover - lastRenewal, 3s - 50ms)
      << "took a live lease: " << last["spec"]["renewTime"] << " -> " << l["spec"]["acquireTime"];
  EXPECT_EQ(l["spec"]["holderIdentity"], "replica-b");
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 3);
  EXPECT_EQ(detector.both(), 0U) << "two leaders at once in " << detector.samples() << " samples";
  EXPECT_GT(detector.samples(), 1000U);
  EXPECT_TRUE(b.stop().isOk());
}

TEST_F(LeaseIntegrationTest, GracefulStopHandsOverBeforeTheLeaseWouldExpire) {
  // A long lease makes "before it would expire" unmistakable.
  auto config = shortLease(/*release=*/true);
  config.leaseDuration = 15s;
  config.renewDeadline = 10s;
  Replica a("replica-a", config);
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }, 60s));
  Replica b("replica-b", config);
  TwoLeadersDetector detector(a, b);
  ASSERT_TRUE(eventually([&] { return b.observedLeader() == "replica-a"; }, 30s));

  const auto stopRequested = Steady::now();
  ASSERT_TRUE(a.stop().isOk());
  EXPECT_FALSE(a.isLeader());
  ASSERT_TRUE(eventually([&] { return b.isLeader(); }, 60s));
  const double handover = Seconds(Steady::now() - stopRequested).count();
  // Without the release the standby would wait >= 15 s - 0.5 s (see above).
  EXPECT_LT(handover, 14.0) << "handover took " << handover << " s: the lease was not released";

  auto l = lease();
  EXPECT_EQ(l["spec"]["holderIdentity"], "replica-b");
  EXPECT_EQ(l["spec"]["leaseTransitions"], 1);
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 15);
  EXPECT_EQ(detector.both(), 0U) << "two leaders at once in " << detector.samples() << " samples";

  ASSERT_TRUE(b.stop().isOk());
  l = lease();
  EXPECT_EQ(l["spec"].value("holderIdentity", "<absent>"), "");
  EXPECT_EQ(l["spec"]["leaseDurationSeconds"], 1);
}

TEST_F(LeaseIntegrationTest, LeaderStopsLeadingWhenTheApiServerIsGoneForTheRenewDeadline) {
  std::atomic<int> stoppedLeading{0};
  auto config = shortLease(/*release=*/true);
  config.callbacks.onStoppedLeading = [&] { stoppedLeading.fetch_add(1); };
  Replica a("replica-a", config);
  ASSERT_TRUE(eventually([&] { return a.isLeader(); }, 60s));

  ASSERT_TRUE(sharedControlPlane().stopApiserver().isOk());
  const auto down = Steady::now();
  ASSERT_TRUE(eventually([&] { return stoppedLeading.load() == 1; }, 60s));
  const double after = Seconds(Steady::now() - down).count();
  EXPECT_FALSE(a.isLeader());
  // renewDeadline (2 s) after the last successful renewal, plus slack.
  EXPECT_LE(after, 2.0 + 6.0) << "still leading " << after << " s after the API went away";
  ASSERT_TRUE(sharedControlPlane().startApiserver().isOk());

  ctrl::Status result = a.stop();
  EXPECT_EQ(result.code(), ctrl::Code::kUnavailable) << result.toString();
  EXPECT_EQ(stoppedLeading.load(), 1);
}

}  // namespace
}  // namespace sttest
