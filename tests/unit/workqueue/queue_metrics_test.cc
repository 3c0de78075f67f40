// The workqueue_* series change as the queue is used. Every test uses its own
// queue name, since the registry is process-wide.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <cmath>
#include <thread>

#include "controller/metrics.h"
#include "controller/workqueue.h"
#include "fake_clock.h"
#include "mocks/eventually.h"

namespace {

using sttest::eventually;

using namespace std::chrono_literals;

// The value of `family`{name=queue}: a gauge's or counter's value, a
// histogram's sample count (or sum when `sum`). NaN when absent.
double metric(const std::string& family, const std::string& queue, bool sum = false) {
  for (const auto& f : ctrl::metricsRegistry()->Collect()) {
    if (f.name != family) continue;
    for (const auto& m : f.metric) {
      for (const auto& label : m.label) {
        if (label.name != "name" || label.value != queue) continue;
        switch (f.type) {
          case prometheus::MetricType::Gauge:
            return m.gauge.value;
          case prometheus::MetricType::Counter:
            return m.counter.value;
          case prometheus::MetricType::Histogram:
            return sum ? m.histogram.sample_sum : static_cast<double>(m.histogram.sample_count);
          default:
            return NAN;
        }
      }
    }
  }
  return NAN;
}

ctrl::WorkQueueOptions named(const std::string& name, ctrl::Clock& clock) {
  return ctrl::WorkQueueOptions{.name = name, .clock = &clock, .rateLimiter = {}};
}

// `base` plus a sequence number: metrics are process-wide and must start from
// zero in every test, also with --gtest_repeat.
std::string uniqueName(const std::string& base) {
  static int sequence = 0;
  return base + "-" + std::to_string(sequence++);
}

TEST(QueueMetricsTest, DepthAndAddsFollowQueueOperations) {
  sttest::FakeClock clock;
  const std::string q = uniqueName("metrics-test-depth");
  ctrl::WorkQueue queue(named(q, clock));
  EXPECT_EQ(metric("workqueue_depth", q), 0);

  queue.add("ns/a");
  queue.add("ns/b");
  queue.add("ns/a");  // deduplicated: not counted
  EXPECT_EQ(metric("workqueue_depth", q), 2);
  EXPECT_EQ(metric("workqueue_adds_total", q), 2);

  ASSERT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(metric("workqueue_depth", q), 1);
  EXPECT_EQ(metric("workqueue_queue_duration_seconds", q), 1);
  EXPECT_EQ(metric("workqueue_work_duration_seconds", q), 0);

  queue.add("ns/a");  // re-added while in flight: counts as an add
  EXPECT_EQ(metric("workqueue_adds_total", q), 3);
  EXPECT_EQ(metric("workqueue_depth", q), 2);
  queue.done("ns/a");
  EXPECT_EQ(metric("workqueue_work_duration_seconds", q), 1);
  EXPECT_EQ(metric("workqueue_depth", q), 2);

  ASSERT_EQ(queue.get(), "ns/b");
  ASSERT_EQ(queue.get(), "ns/a");
  EXPECT_EQ(metric("workqueue_depth", q), 0);
}

TEST(QueueMetricsTest, DurationsAreMeasuredOnTheInjectedClock) {
  sttest::FakeClock clock;
  const std::string q = uniqueName("metrics-test-durations");
  ctrl::WorkQueue queue(named(q, clock));
  queue.add("ns/a");
  clock.advance(2s);
  ASSERT_EQ(queue.get(), "ns/a");
  EXPECT_DOUBLE_EQ(metric("workqueue_queue_duration_seconds", q, /*sum=*/true), 2.0);
  clock.advance(3s);
  queue.done("ns/a");
  EXPECT_DOUBLE_EQ(metric("workqueue_work_duration_seconds", q, /*sum=*/true), 3.0);
}

TEST(QueueMetricsTest, RetriesAreCounted) {
  sttest::FakeClock clock;
  const std::string q = uniqueName("metrics-test-retries");
  ctrl::WorkQueue queue(named(q, clock));
  queue.addRateLimited("ns/a");
  queue.addRateLimited("ns/a");
  EXPECT_EQ(metric("workqueue_retries_total", q), 2);
}

TEST(QueueMetricsTest, UnfinishedWorkGrowsWhileAKeyIsInFlight) {
  sttest::FakeClock clock;
  const std::string q = uniqueName("metrics-test-unfinished");
  ctrl::WorkQueue queue(named(q, clock));
  queue.add("ns/a");
  queue.add("ns/b");
  ASSERT_EQ(queue.get(), "ns/a");
  clock.advance(3s);
  ASSERT_EQ(queue.get(), "ns/b");
  clock.advance(1s);
  // a has run 4 s, b 1 s.
  EXPECT_TRUE(eventually([&] {
    return metric("workqueue_unfinished_work_seconds", q) == 5.0 &&
           metric("workqueue_longest_running_processor_seconds", q) == 4.0;
  })) << metric("workqueue_unfinished_work_seconds", q);

  queue.done("ns/a");
  queue.done("ns/b");
  clock.advance(1s);
  EXPECT_TRUE(eventually([&] {
    return metric("workqueue_unfinished_work_seconds", q) == 0.0 &&
           metric("workqueue_longest_running_processor_seconds", q) == 0.0;
  }));
}

TEST(QueueMetricsTest, SeriesAppearInTheRenderedText) {
  sttest::FakeClock clock;
  const std::string q = uniqueName("metrics-test-render");
  ctrl::WorkQueue queue(named(q, clock));
  queue.add("ns/a");
  const std::string text = ctrl::renderMetrics(*ctrl::metricsRegistry());
  EXPECT_THAT(text, ::testing::HasSubstr("workqueue_depth{name=\"" + q + "\"} 1"));
  EXPECT_THAT(text, ::testing::HasSubstr("workqueue_adds_total{name=\"" + q + "\"} 1"));
}

}  // namespace
