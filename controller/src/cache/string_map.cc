#include "controller/string_map.h"

#include <algorithm>
#include <cstring>

namespace ctrl {
namespace {

constexpr size_t kHeader = 2 * sizeof(uint32_t);

uint32_t readLength(const char* at) {
  uint32_t n;
  std::memcpy(&n, at, sizeof n);
  return n;
}

}  // namespace

void StringMap::const_iterator::load() {
  if (at_ == end_) {
    next_ = at_;
    entry_ = {};
    return;
  }
  const uint32_t keyLength = readLength(at_);
  const uint32_t valueLength = readLength(at_ + sizeof(uint32_t));
  const char* key = at_ + kHeader;
  entry_ = {std::string_view(key, keyLength), std::string_view(key + keyLength, valueLength)};
  next_ = key + keyLength + valueLength;
}

void StringMap::append(std::string& out, std::string_view key, std::string_view value) {
  const auto keyLength = static_cast<uint32_t>(key.size());
  const auto valueLength = static_cast<uint32_t>(value.size());
  char header[kHeader];
  std::memcpy(header, &keyLength, sizeof keyLength);
  std::memcpy(header + sizeof keyLength, &valueLength, sizeof valueLength);
  out.append(header, kHeader);
  out.append(key);
  out.append(value);
}

StringMap StringMap::fromEntries(std::vector<value_type> entries) {
  // Stable, so of equal keys the first given stays first and is kept.
  std::stable_sort(entries.begin(), entries.end(),
                   [](const value_type& a, const value_type& b) { return a.first < b.first; });
  entries.erase(
      std::unique(entries.begin(), entries.end(),
                  [](const value_type& a, const value_type& b) { return a.first == b.first; }),
      entries.end());
  size_t bytes = 0;
  for (const auto& [k, v] : entries) bytes += kHeader + k.size() + v.size();
  StringMap map;
  map.buffer_.reserve(bytes);
  for (const auto& [k, v] : entries) append(map.buffer_, k, v);
  return map;
}

StringMap::StringMap(std::initializer_list<value_type> entries)
    : StringMap(fromEntries(std::vector<value_type>(entries))) {}

StringMap::StringMap(const std::map<std::string, std::string>& entries) {
  std::vector<value_type> views(entries.begin(), entries.end());
  *this = fromEntries(std::move(views));
}

size_t StringMap::size() const { return static_cast<size_t>(std::distance(begin(), end())); }

StringMap::const_iterator StringMap::find(std::string_view key) const {
  for (auto it = begin(); it != end(); ++it) {
    if (it->first == key) return it;
    if (it->first > key) break;  // sorted: it is not there
  }
  return end();
}

std::string_view StringMap::get(std::string_view key, std::string_view fallback) const {
  auto it = find(key);
  return it == end() ? fallback : it->second;
}

void StringMap::set(std::string_view key, std::string_view value) {
  std::string out;
  out.reserve(buffer_.size() + kHeader + key.size() + value.size());
  bool done = false;
  for (const auto& [k, v] : *this) {
    if (!done && k >= key) {
      append(out, key, value);
      done = true;
      if (k == key) continue;  // replaced
    }
    append(out, k, v);
  }
  if (!done) append(out, key, value);
  out.shrink_to_fit();
  buffer_ = std::move(out);
}

bool StringMap::emplace(std::string_view key, std::string_view value) {
  if (contains(key)) return false;
  set(key, value);
  return true;
}

size_t StringMap::erase(std::string_view key) {
  auto it = find(key);
  if (it == end()) return 0;
  std::string out;
  out.reserve(buffer_.size());
  for (const auto& [k, v] : *this) {
    if (k != key) append(out, k, v);
  }
  out.shrink_to_fit();
  buffer_ = std::move(out);
  return 1;
}

std::map<std::string, std::string> StringMap::toMap() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : *this) out.emplace(k, v);
  return out;
}

}  // namespace ctrl
