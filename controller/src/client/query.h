// Building a request target: a path plus an escaped query string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "controller/resource.h"

namespace ctrl::client {

class Query {
 public:
  explicit Query(std::string path) : target_(std::move(path)) {}

  // Appends key=value (value percent-escaped). An empty value is left out, so
  // optional parameters can be added unconditionally.
  Query& add(std::string_view key, std::string_view value) {
    if (value.empty()) return *this;
    target_ += first_ ? '?' : '&';
    first_ = false;
    target_ += key;
    target_ += '=';
    target_ += urlEscape(value);
    return *this;
  }
  Query& add(std::string_view key, int64_t value) { return add(key, std::to_string(value)); }
  Query& addIf(bool condition, std::string_view key, std::string_view value) {
    return condition ? add(key, value) : *this;
  }

  std::string take() && { return std::move(target_); }

 private:
  std::string target_;
  bool first_ = true;
};

}  // namespace ctrl::client
