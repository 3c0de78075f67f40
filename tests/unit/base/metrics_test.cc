#include "controller/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(MetricsRegistryTest, IsOneSharedInstance) {
  auto first = ctrl::metricsRegistry();
  auto second = ctrl::metricsRegistry();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first.get(), second.get());
}

TEST(MetricsRegistryTest, RegisteringTheSameFamilyTwiceReturnsTheExistingOne) {
  auto registry = ctrl::metricsRegistry();
  auto& a = prometheus::BuildCounter()
                .Name("metrics_test_merge_total")
                .Help("Test counter.")
                .Register(*registry);
  auto& b = prometheus::BuildCounter()
                .Name("metrics_test_merge_total")
                .Help("Test counter.")
                .Register(*registry);
  EXPECT_EQ(&a, &b);
  a.Add({{"name", "x"}}).Increment(2);
  EXPECT_DOUBLE_EQ(b.Add({{"name", "x"}}).Value(), 2);
}

TEST(RenderMetricsTest, RendersCounterInTextFormat) {
  auto registry = ctrl::metricsRegistry();
  auto& family = prometheus::BuildCounter()
                     .Name("metrics_test_render_total")
                     .Help("Counts things for the render test.")
                     .Register(*registry);
  family.Add({{"name", "render"}}).Increment(3);

  const std::string text = ctrl::renderMetrics(*registry);
  EXPECT_THAT(text,
              HasSubstr("# HELP metrics_test_render_total Counts things for the render test."));
  EXPECT_THAT(text, HasSubstr("# TYPE metrics_test_render_total counter"));
  EXPECT_THAT(text, HasSubstr("metrics_test_render_total{name=\"render\"} 3"));
}

TEST(RenderMetricsTest, RendersGaugeAndHistogram) {
  prometheus::Registry registry;
  prometheus::BuildGauge().Name("t_depth").Help("Depth.").Register(registry).Add({}).Set(7);
  auto& histogram = prometheus::BuildHistogram()
                        .Name("t_duration_seconds")
                        .Help("Duration.")
                        .Register(registry)
                        .Add({{"name", "h"}}, prometheus::Histogram::BucketBoundaries{0.1, 1});
  histogram.Observe(0.5);

  const std::string text = ctrl::renderMetrics(registry);
  EXPECT_THAT(text, HasSubstr("# TYPE t_depth gauge"));
  EXPECT_THAT(text, HasSubstr("t_depth 7"));
  EXPECT_THAT(text, HasSubstr("t_duration_seconds_bucket{name=\"h\",le=\"0.1\"} 0"));
  EXPECT_THAT(text, HasSubstr("t_duration_seconds_bucket{name=\"h\",le=\"1\"} 1"));
  EXPECT_THAT(text, HasSubstr("t_duration_seconds_count{name=\"h\"} 1"));
  // A private registry does not leak into the shared one.
  EXPECT_THAT(ctrl::renderMetrics(*ctrl::metricsRegistry()), Not(HasSubstr("t_depth")));
}

TEST(RenderMetricsTest, EmptyRegistryRendersNothing) {
  prometheus::Registry registry;
  EXPECT_EQ(ctrl::renderMetrics(registry), "");
}

}  // namespace
