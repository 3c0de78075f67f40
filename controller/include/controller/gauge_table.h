// GaugeTable: gauge families whose series all carry the same label names
// (e.g. one series per cached object, labelled namespace and name), held
// compactly: one row per label-value tuple with one optional value per
// family, about 130 bytes a row. prometheus-cpp's Family<Gauge> costs about
// 800 bytes a series to keep and as much again, transiently, at each scrape;
// with 10,000 objects and three families that is tens of MiB.
//
// A GaugeTable renders itself in the text exposition format exactly as
// prometheus-cpp's TextSerializer renders the same families (HELP, TYPE,
// labels in name order, values in the same number format), rows ordered
// by their label values; attach() makes renderMetrics() of a registry include it.
//
// Thread-safe.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/metrics.h"

namespace ctrl {

class GaugeTable final : public TextCollector, public std::enable_shared_from_this<GaugeTable> {
 public:
  static constexpr size_t kMaxFamilies = 4;

  struct Family {
    std::string name;
    std::string help;
  };

  // `labelNames` must be sorted (the order the exposition format lists them
  // in) and non-empty; at most kMaxFamilies families. Families are addressed
  // by their index in `families`.
  GaugeTable(std::vector<std::string> labelNames, std::vector<Family> families);

  // Renders this table with renderMetrics(registry) from now on, for as long
  // as it lives.
  void attach(const prometheus::Registry& registry);

  // Sets the gauge `family` of the series with `labelValues` (one per label
  // name, in the same order).
  void set(size_t family, const std::vector<std::string_view>& labelValues, double value);
  // Removes the gauge `family` of that series (no-op when absent).
  void remove(size_t family, const std::vector<std::string_view>& labelValues);
  // Removes every family's gauge of that series.
  void removeAll(const std::vector<std::string_view>& labelValues);
  // Whether the gauge exists, and its value (0 when absent).
  bool has(size_t family, const std::vector<std::string_view>& labelValues) const;
  double value(size_t family, const std::vector<std::string_view>& labelValues) const;
  // Rows (label-value tuples with at least one gauge).
  size_t rows() const;

  void render(std::string& out) const override;

 private:
  struct Row {
    std::array<double, kMaxFamilies> values{};
    uint8_t present = 0;  // bit f: family f has a value
  };
  // The label values, each prefixed by its length (u32), in one string.
  static std::string rowKey(const std::vector<std::string_view>& labelValues);
  static std::vector<std::string_view> labelValuesOf(std::string_view key);

  const std::vector<std::string> labelNames_;
  const std::vector<Family> families_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Row> rows_;
};

}  // namespace ctrl
