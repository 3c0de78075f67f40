// The controller's worker loop: what each reconcile outcome does to the
// queue, driven by a FakeClock; exceptions; shutdown; one worker per key.
#include "controller/controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <atomic>
#include <cmath>
#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "controller/metrics.h"
#include "controller/workqueue.h"
#include "fake_clock.h"
#include "mocks/eventually.h"

namespace {

using sttest::eventually;

using namespace std::chrono_literals;
using ctrl::Duration;
using ctrl::Request;
using ctrl::Result;
using ctrl::StatusOr;

constexpr auto kGiveUp = 20s;  // real-time bound so a broken test fails, not hangs

// Shared between a test and its reconciler (which the controller owns).
class Calls {
 public:
  void record(const Request& request) {
    std::lock_guard lock(mu_);
    ++counts_[request.key()];
    cv_.notify_all();
  }
  int count(const std::string& key) {
    std::lock_guard lock(mu_);
    return counts_[key];
  }
  // Waits (real time, bounded) until `key` was reconciled `n` times.
  bool waitFor(const std::string& key, int n) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kGiveUp, [&] { return counts_[key] >= n; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<std::string, int> counts_;
};

class FakeReconciler final : public ctrl::Reconciler {
 public:
  using Behaviour = std::function<StatusOr<Result>(const Request&, int call, std::stop_token)>;
  FakeReconciler(Calls& calls, Behaviour behaviour)
      : calls_(calls), behaviour_(std::move(behaviour)) {}

  StatusOr<Result> reconcile(const Request& request, std::stop_token stop) override {
    calls_.record(request);
    return behaviour_(request, calls_.count(request.key()), std::move(stop));
  }

 private:
  Calls& calls_;
  Behaviour behaviour_;
};

// The value of a controller_runtime_* series for `controller` (and `result`
// when given); a histogram's sample count. NaN when absent.
double metric(const std::string& family, const std::string& controller,
              const std::string& result = "") {
  for (const auto& f : ctrl::metricsRegistry()->Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      bool match = true;
      bool hasController = false;
      for (const auto& label : m.label) {
        if (label.name == "controller") hasController = label.value == controller;
        if (label.name == "result" && label.value != result) match = false;
      }
      if (!match || !hasController) continue;
      switch (f.type) {
        case prometheus::MetricType::Gauge:
          return m.gauge.value;
        case prometheus::MetricType::Counter:
          return m.counter.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(m.histogram.sample_count);
        default:
          return NAN;
      }
    }
  }
  return NAN;
}

class ControllerTest : public ::testing::Test {
 protected:
  // The test's name plus a sequence number: metrics are process-wide and
  // must start from zero in every test, also with --gtest_repeat.
  static std::string uniqueName() {
    static std::atomic<int> sequence{0};
    return std::string(::testing::UnitTest::GetInstance()->current_test_info()->name()) + "-" +
           std::to_string(sequence.fetch_add(1));
  }

  // Builds and starts a controller named after the test (metrics are
  // process-wide, so names must differ between tests).
  void run(FakeReconciler::Behaviour behaviour, int workers = 1) {
    name_ = uniqueName();
    controller_ = std::make_unique<ctrl::Controller>(
        ctrl::ControllerOptions{.name = name_,
                                .workers = workers,
                                .clock = &clock_,
                                .rateLimiter = {},
                                .needLeaderElection = true},
        std::make_unique<FakeReconciler>(calls_, std::move(behaviour)));
    runner_ =
        std::jthread([this](std::stop_token stop) { startStatus_ = controller_->start(stop); });
  }

  // Stops the controller and waits for start() to return. Tests whose
  // reconciler uses locals of the test body call it before they end.
  void stop() {
    if (!runner_.joinable()) return;
    runner_.request_stop();
    runner_.join();  // hangs (and times out) if start() does not return
    EXPECT_TRUE(startStatus_.isOk()) << startStatus_.toString();
  }

  void TearDown() override { stop(); }

  // Asserts that `key` is reconciled for the n-th time exactly `delay` after
  // now: not at delay - 1ms, then at delay. With one worker the queue is
  // FIFO, and the timer moves every due key in one step, so once a sentinel
  // due at delay - 1ms has been reconciled, `key` would have been too if due.
  void expectReconciledAfter(const std::string& key, int n, Duration delay) {
    const std::string sentinel = "sentinel/" + std::to_string(sentinels_++);
    controller_->queue().addAfter(sentinel, delay - 1ms);
    clock_.advance(delay - 1ms);
    ASSERT_TRUE(calls_.waitFor(sentinel, 1));
    EXPECT_EQ(calls_.count(key), n - 1) << key << " was reconciled before " << delay.count();
    clock_.advance(1ms);
    ASSERT_TRUE(calls_.waitFor(key, n));
  }

  sttest::FakeClock clock_;
  Calls calls_;
  std::string name_;
  std::unique_ptr<ctrl::Controller> controller_;
  std::jthread runner_;
  ctrl::Status startStatus_;
  int sentinels_ = 0;
};

bool isSentinel(const Request& r) { return r.ns == "sentinel"; }

TEST(RequestTest, KeyRoundTrips) {
  EXPECT_EQ((Request{"ns", "a"}).key(), "ns/a");
  EXPECT_EQ((Request{"", "cluster-wide"}).key(), "cluster-wide");
  EXPECT_EQ(Request::fromKey("ns/a"), (Request{"ns", "a"}));
  EXPECT_EQ(Request::fromKey("cluster-wide"), (Request{"", "cluster-wide"}));
}

TEST_F(ControllerTest, IsALeaderElectedRunnableByDefault) {
  run([](const Request&, int, std::stop_token) -> StatusOr<Result> { return Result{}; });
  EXPECT_TRUE(controller_->needsLeaderElection());
  EXPECT_EQ(controller_->name(), name_);
}

TEST_F(ControllerTest, SuccessForgetsTheKey) {
  run([](const Request& r, int call, std::stop_token) -> StatusOr<Result> {
    if (!isSentinel(r) && call == 1) return ctrl::errorStatus(ctrl::Code::kConflict, "stale");
    return Result{};
  });
  controller_->enqueue("ns", "a");
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 1; }));
  expectReconciledAfter("ns/a", 2, 5ms);  // succeeds this time
  EXPECT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 0; }));
  EXPECT_TRUE(eventually(
      [&] { return metric("controller_runtime_reconcile_total", name_, "success") >= 1; }));

  // Not scheduled again: an hour later only the sentinel runs.
  controller_->queue().addAfter("sentinel/late", 1h);
  clock_.advance(1h);
  ASSERT_TRUE(calls_.waitFor("sentinel/late", 1));
  EXPECT_EQ(calls_.count("ns/a"), 2);
}

TEST_F(ControllerTest, ErrorIsRetriedWithExponentialBackoff) {
  run([](const Request& r, int, std::stop_token) -> StatusOr<Result> {
    if (isSentinel(r)) return Result{};
    return ctrl::errorStatus(ctrl::Code::kUnavailable, "apiserver down");
  });
  controller_->enqueue("ns", "a");
  ASSERT_TRUE(calls_.waitFor("ns/a", 1));
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 1; }));
  expectReconciledAfter("ns/a", 2, 5ms);
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 2; }));
  expectReconciledAfter("ns/a", 3, 10ms);
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 3; }));
  expectReconciledAfter("ns/a", 4, 20ms);

  EXPECT_TRUE(eventually([&] {
    return metric("controller_runtime_reconcile_errors_total", name_) == 4 &&
           metric("controller_runtime_reconcile_total", name_, "error") == 4;
  })) << metric("controller_runtime_reconcile_errors_total", name_);
}

TEST_F(ControllerTest, RequeueAfterIsHonouredOnTheClockAndResetsBackoff) {
  run([](const Request& r, int call, std::stop_token) -> StatusOr<Result> {
    if (isSentinel(r)) return Result{};
    if (call == 1) return ctrl::errorStatus(ctrl::Code::kConflict, "stale");
    if (call == 2) return Result{.requeue = false, .requeueAfter = 30s};
    return Result{};
  });
  controller_->enqueue("ns", "a");
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 1; }));
  expectReconciledAfter("ns/a", 2, 5ms);  // returns requeueAfter = 30 s
  // Counted after the key was scheduled: from here the 30 s run on the clock.
  ASSERT_TRUE(eventually(
      [&] { return metric("controller_runtime_reconcile_total", name_, "requeue_after") == 1; }));
  EXPECT_EQ(controller_->queue().numRequeues("ns/a"), 0);
  expectReconciledAfter("ns/a", 3, 30s);
}

TEST_F(ControllerTest, RequeueIsRateLimited) {
  run([](const Request& r, int call, std::stop_token) -> StatusOr<Result> {
    if (isSentinel(r) || call >= 3) return Result{};
    return Result{.requeue = true, .requeueAfter = Duration::zero()};
  });
  controller_->enqueue("ns", "a");
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 1; }));
  expectReconciledAfter("ns/a", 2, 5ms);
  ASSERT_TRUE(eventually([&] { return controller_->queue().numRequeues("ns/a") == 2; }));
  expectReconciledAfter("ns/a", 3, 10ms);
  EXPECT_TRUE(eventually([&] {
    return metric("controller_runtime_reconcile_total", name_, "requeue") == 2 &&
           metric("controller_runtime_reconcile_errors_total", name_) == 0;
  }));
}

TEST_F(ControllerTest, ThrowingReconcilerIsTreatedAsAnErrorAndTheWorkerSurvives) {
  run([](const Request& r, int, std::stop_token) -> StatusOr<Result> {
    if (r.name == "throws-std") throw std::runtime_error("boom");
    if (r.name == "throws-int") throw 42;
    return Result{};
  });  // a single worker: if it died, nothing after the throw would run
  controller_->enqueue("ns", "throws-std");
  controller_->enqueue("ns", "throws-int");
  controller_->enqueue("ns", "fine");
  ASSERT_TRUE(calls_.waitFor("ns/fine", 1));
  EXPECT_TRUE(eventually([&] {
    return controller_->queue().numRequeues("ns/throws-std") == 1 &&
           controller_->queue().numRequeues("ns/throws-int") == 1;
  }));
  EXPECT_TRUE(eventually([&] {
    return metric("controller_runtime_reconcile_panics_total", name_) == 2 &&
           metric("controller_runtime_reconcile_errors_total", name_) == 2;
  }));
  // The thrower is retried like any error.
  clock_.advance(5ms);
  EXPECT_TRUE(calls_.waitFor("ns/throws-std", 2));
}

TEST_F(ControllerTest, StopReturnsWhileAReconcileIsInFlight) {
  std::atomic<bool> sawStop{false};
  run([&](const Request&, int, std::stop_token stop) -> StatusOr<Result> {
    // Blocks until the controller stops, like a long API call watching stop.
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait(lock, stop, [] { return false; });
    sawStop = stop.stop_requested();
    return ctrl::errorStatus(ctrl::Code::kCancelled, "stopped");
  });
  controller_->enqueue("ns", "blocked");
  ASSERT_TRUE(calls_.waitFor("ns/blocked", 1));
  EXPECT_TRUE(eventually([&] { return metric("controller_runtime_active_workers", name_) == 1; }));

  stop();
  EXPECT_TRUE(sawStop.load());
  EXPECT_EQ(metric("controller_runtime_active_workers", name_), 0);
  // Stopped for good: later events are ignored.
  controller_->enqueue("ns", "late");
  EXPECT_EQ(controller_->queue().len(), 0u);
}

TEST_F(ControllerTest, SameKeyIsNeverReconciledConcurrently) {
  std::map<std::string, std::atomic<int>> inFlight;
  for (const char* key : {"ns/a", "ns/b", "ns/c"}) inFlight[key] = 0;
  std::atomic<int> overlaps{0};
  run(
      [&](const Request& r, int, std::stop_token) -> StatusOr<Result> {
        if (inFlight.at(r.key()).fetch_add(1) != 0) overlaps.fetch_add(1);
        for (int spin = 0; spin < 200; ++spin) std::this_thread::yield();
        inFlight.at(r.key()).fetch_sub(1);
        return Result{};
      },
      /*workers=*/8);
  EXPECT_TRUE(eventually(
      [&] { return metric("controller_runtime_max_concurrent_reconciles", name_) == 8; }));
  for (int round = 0; round < 2000; ++round) {
    controller_->enqueue("ns", std::string(1, static_cast<char>('a' + round % 3)));
    if (round % 10 == 0) std::this_thread::yield();
  }
  // Each key is reconciled at least once after its last enqueue. Wait for
  // every key: under a slow scheduler (TSan) the workers may not have started
  // any of them yet, and stop() drops what is still queued.
  for (const char* key : {"a", "b", "c"}) {
    const std::string full = std::string("ns/") + key;
    const int before = calls_.count(full);
    controller_->enqueue("ns", key);
    EXPECT_TRUE(calls_.waitFor(full, before + 1)) << full;
  }
  stop();
  EXPECT_EQ(overlaps.load(), 0);
}

TEST_F(ControllerTest, RequestsQueuedBeforeStartAreReconciledOnce) {
  name_ = uniqueName();
  controller_ = std::make_unique<ctrl::Controller>(
      ctrl::ControllerOptions{.name = name_,
                              .workers = 1,
                              .clock = &clock_,
                              .rateLimiter = {},
                              .needLeaderElection = false},
      std::make_unique<FakeReconciler>(
          calls_,
          [](const Request&, int, std::stop_token) -> StatusOr<Result> { return Result{}; }));
  EXPECT_FALSE(controller_->needsLeaderElection());
  controller_->enqueue("ns", "a");
  controller_->enqueue("ns", "a");
  controller_->enqueue("ns", "b");
  runner_ = std::jthread([this](std::stop_token stop) { startStatus_ = controller_->start(stop); });
  ASSERT_TRUE(calls_.waitFor("ns/b", 1));  // FIFO with one worker: a went first
  EXPECT_EQ(calls_.count("ns/a"), 1);
  EXPECT_TRUE(eventually(
      [&] { return metric("controller_runtime_reconcile_total", name_, "success") == 2; }));
  EXPECT_TRUE(
      eventually([&] { return metric("controller_runtime_reconcile_time_seconds", name_) == 2; }));
}

TEST_F(ControllerTest, SecondStartIsRejected) {
  run([](const Request&, int, std::stop_token) -> StatusOr<Result> { return Result{}; });
  // The runner has (or will have) started it; wait until it has.
  ASSERT_TRUE(eventually(
      [&] { return metric("controller_runtime_max_concurrent_reconciles", name_) == 1; }));
  std::stop_source stop;
  stop.request_stop();  // so a wrongly accepted second start returns at once
  const ctrl::Status second = controller_->start(stop.get_token());
  EXPECT_EQ(second.code(), ctrl::Code::kInternal);
}

}  // namespace
