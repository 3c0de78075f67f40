#include "controller/gauge_table.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <limits>
#include <locale>
#include <sstream>

namespace ctrl {
namespace {

void appendLabelValue(std::string& out, std::string_view value) {
  for (char c : value) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      case '\n':
        out += "\\n";
        break;
      default:
        out += c;
    }
  }
}

}  // namespace

GaugeTable::GaugeTable(std::vector<std::string> labelNames, std::vector<Family> families)
    : labelNames_(std::move(labelNames)), families_(std::move(families)) {
  assert(!labelNames_.empty() && std::is_sorted(labelNames_.begin(), labelNames_.end()));
  assert(families_.size() <= kMaxFamilies);
}

void GaugeTable::attach(const prometheus::Registry& registry) {
  addTextCollector(registry, weak_from_this());
}

std::string GaugeTable::rowKey(const std::vector<std::string_view>& labelValues) {
  std::string key;
  size_t bytes = 0;
  for (auto v : labelValues) bytes += sizeof(uint32_t) + v.size();
  key.reserve(bytes);
  for (auto v : labelValues) {
    const auto n = static_cast<uint32_t>(v.size());
    char length[sizeof n];
    std::memcpy(length, &n, sizeof n);
    key.append(length, sizeof n);
    key.append(v);
  }
  return key;
}

std::vector<std::string_view> GaugeTable::labelValuesOf(std::string_view key) {
  std::vector<std::string_view> out;
  while (key.size() >= sizeof(uint32_t)) {
    uint32_t n;
    std::memcpy(&n, key.data(), sizeof n);
    key.remove_prefix(sizeof n);
    out.push_back(key.substr(0, n));
    key.remove_prefix(std::min<size_t>(n, key.size()));
  }
  return out;
}

void GaugeTable::set(size_t family, const std::vector<std::string_view>& labelValues,
                     double value) {
  assert(family < families_.size() && labelValues.size() == labelNames_.size());
  std::lock_guard lock(mu_);
  Row& row = rows_[rowKey(labelValues)];
  row.values[family] = value;
  row.present |= static_cast<uint8_t>(1u << family);
}

void GaugeTable::remove(size_t family, const std::vector<std::string_view>& labelValues) {
  assert(family < families_.size());
  std::lock_guard lock(mu_);
  auto it = rows_.find(rowKey(labelValues));
  if (it == rows_.end()) return;
  it->second.present &= static_cast<uint8_t>(~(1u << family));
  it->second.values[family] = 0;
  if (it->second.present == 0) rows_.erase(it);
}

void GaugeTable::removeAll(const std::vector<std::string_view>& labelValues) {
  std::lock_guard lock(mu_);
  rows_.erase(rowKey(labelValues));
}

bool GaugeTable::has(size_t family, const std::vector<std::string_view>& labelValues) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(rowKey(labelValues));
  return it != rows_.end() && (it->second.present & (1u << family)) != 0;
}

double GaugeTable::value(size_t family, const std::vector<std::string_view>& labelValues) const {
  std::lock_guard lock(mu_);
  auto it = rows_.find(rowKey(labelValues));
  return it == rows_.end() ? 0 : it->second.values[family];
}

size_t GaugeTable::rows() const {
  std::lock_guard lock(mu_);
  return rows_.size();
}

void GaugeTable::render(std::string& out) const {
  // The number format of prometheus-cpp's TextSerializer: the classic
  // locale, max_digits10 - 1 significant digits, Nan and +Inf/-Inf.
  std::ostringstream number;
  number.imbue(std::locale::classic());
  number.precision(std::numeric_limits<double>::max_digits10 - 1);
  auto appendValue = [&](double v) {
    if (std::isnan(v)) {
      out += "Nan";
    } else if (std::isinf(v)) {
      out += v < 0 ? "-Inf" : "+Inf";
    } else {
      number.str({});
      number << v;
      out += number.str();
    }
  };

  std::lock_guard lock(mu_);
  std::vector<std::pair<std::vector<std::string_view>, const Row*>> sorted;
  sorted.reserve(rows_.size());
  for (const auto& [key, row] : rows_) sorted.emplace_back(labelValuesOf(key), &row);
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t f = 0; f < families_.size(); ++f) {
    const uint8_t bit = static_cast<uint8_t>(1u << f);
    bool headed = false;
    for (const auto& [values, row] : sorted) {
      if ((row->present & bit) == 0) continue;
      if (!headed) {
        out += "# HELP " + families_[f].name + " " + families_[f].help + "\n";
        out += "# TYPE " + families_[f].name + " gauge\n";
        headed = true;
      }
      out += families_[f].name;
      out += '{';
      for (size_t i = 0; i < labelNames_.size() && i < values.size(); ++i) {
        if (i > 0) out += ',';
        out += labelNames_[i];
        out += "=\"";
        appendLabelValue(out, values[i]);
        out += '"';
      }
      out += "} ";
      appendValue(row->values[f]);
      out += '\n';
    }
  }
}

}  // namespace ctrl
