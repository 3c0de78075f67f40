// GaugeTable: the compact per-object gauges render exactly as prometheus-cpp
// renders the same families from a registry, and are served by
// renderMetrics() of the registry they are attached to.
#include "controller/gauge_table.h"

#include <gtest/gtest.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <cmath>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "controller/metrics.h"

namespace {

using ctrl::GaugeTable;

std::shared_ptr<GaugeTable> table() {
  return std::make_shared<GaugeTable>(
      std::vector<std::string>{"name", "namespace"},
      std::vector<GaugeTable::Family>{{"t_expiration_seconds", "When it expires (Unix seconds)"},
                                      {"t_ready", "1 when ready, 0 otherwise"}});
}

// The same values through prometheus-cpp, one family per gauge.
struct Reference {
  prometheus::Registry registry;
  prometheus::Family<prometheus::Gauge>& expiration = prometheus::BuildGauge()
                                                          .Name("t_expiration_seconds")
                                                          .Help("When it expires (Unix seconds)")
                                                          .Register(registry);
  prometheus::Family<prometheus::Gauge>& ready =
      prometheus::BuildGauge().Name("t_ready").Help("1 when ready, 0 otherwise").Register(registry);
};

std::string rendered(const GaugeTable& t) {
  std::string out;
  t.render(out);
  return out;
}

TEST(GaugeTableTest, RendersAsPrometheusCppDoesForOneSeries) {
  // One series per family: prometheus-cpp's order within a family is its
  // hash map's, so only single series compare byte for byte.
  for (double v : {1780000000.0, 1780000000.5, 0.0, 1.0, -2.5, 1e-9, 123456789012345.0,
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity(), std::nan("")}) {
    auto t = table();
    Reference ref;
    t->set(0, {"tok", "team-a"}, v);
    t->set(1, {"tok", "team-a"}, 1);
    ref.expiration.Add({{"namespace", "team-a"}, {"name", "tok"}}).Set(v);
    ref.ready.Add({{"namespace", "team-a"}, {"name", "tok"}}).Set(1);
    EXPECT_EQ(rendered(*t), ctrl::renderMetrics(ref.registry)) << v;
  }
}

TEST(GaugeTableTest, EscapesLabelValuesAsPrometheusCppDoes) {
  auto t = table();
  Reference ref;
  t->set(1, {"a\"b\\c\nd", "ns"}, 0);
  ref.ready.Add({{"namespace", "ns"}, {"name", "a\"b\\c\nd"}}).Set(0);
  EXPECT_EQ(rendered(*t), ctrl::renderMetrics(ref.registry));
}

TEST(GaugeTableTest, EmptyFamiliesAreLeftOutAsPrometheusCppDoes) {
  auto t = table();
  Reference ref;
  EXPECT_EQ(rendered(*t), ctrl::renderMetrics(ref.registry));
  t->set(0, {"tok", "ns"}, 5);
  ref.expiration.Add({{"namespace", "ns"}, {"name", "tok"}}).Set(5);
  EXPECT_EQ(rendered(*t), ctrl::renderMetrics(ref.registry));
}

TEST(GaugeTableTest, RowsAreOrderedByLabelValues) {
  auto t = table();
  t->set(1, {"b", "ns"}, 1);
  t->set(1, {"a", "ns2"}, 1);
  t->set(1, {"a", "ns1"}, 0);
  EXPECT_EQ(rendered(*t),
            "# HELP t_ready 1 when ready, 0 otherwise\n"
            "# TYPE t_ready gauge\n"
            "t_ready{name=\"a\",namespace=\"ns1\"} 0\n"
            "t_ready{name=\"a\",namespace=\"ns2\"} 1\n"
            "t_ready{name=\"b\",namespace=\"ns\"} 1\n");
}

TEST(GaugeTableTest, SetReplacesAndRemoveDropsOneFamilyOrTheRow) {
  auto t = table();
  t->set(0, {"tok", "ns"}, 1);
  t->set(0, {"tok", "ns"}, 2);
  t->set(1, {"tok", "ns"}, 1);
  EXPECT_EQ(t->rows(), 1u);
  EXPECT_TRUE(t->has(0, {"tok", "ns"}));
  EXPECT_EQ(t->value(0, {"tok", "ns"}), 2);
  t->remove(0, {"tok", "ns"});
  EXPECT_FALSE(t->has(0, {"tok", "ns"}));
  EXPECT_TRUE(t->has(1, {"tok", "ns"}));
  EXPECT_EQ(rendered(*t).find("t_expiration_seconds"), std::string::npos);
  t->remove(1, {"tok", "ns"});
  EXPECT_EQ(t->rows(), 0u);
  t->set(0, {"tok", "ns"}, 1);
  t->set(1, {"tok", "ns"}, 1);
  t->removeAll({"tok", "ns"});
  EXPECT_EQ(t->rows(), 0u);
  EXPECT_EQ(rendered(*t), "");
}

TEST(GaugeTableTest, LabelValuesDoNotRunTogether) {
  auto t = table();
  t->set(1, {"ab", "c"}, 1);
  t->set(1, {"a", "bc"}, 0);
  EXPECT_EQ(t->rows(), 2u);
  EXPECT_EQ(t->value(1, {"ab", "c"}), 1);
  EXPECT_EQ(t->value(1, {"a", "bc"}), 0);
}

TEST(GaugeTableTest, AttachedTableIsRenderedWithItsRegistryWhileItLives) {
  prometheus::Registry registry;
  prometheus::BuildGauge().Name("t_other").Help("Other").Register(registry).Add({}).Set(3);
  const std::string alone = ctrl::renderMetrics(registry);
  {
    auto t = table();
    t->attach(registry);
    t->set(1, {"tok", "ns"}, 1);
    EXPECT_EQ(ctrl::renderMetrics(registry), alone + rendered(*t));
    prometheus::Registry other;
    EXPECT_EQ(ctrl::renderMetrics(other).find("t_ready"), std::string::npos);
  }
  EXPECT_EQ(ctrl::renderMetrics(registry), alone);
}

}  // namespace
