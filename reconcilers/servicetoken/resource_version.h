// Whether a cache has caught up with a write this process made.
#pragma once

#include <charconv>
#include <cstdint>
#include <string>

namespace st {

// Resource versions are opaque by contract, but etcd's are increasing
// integers; this is used only to tell whether the cache caught up with our
// own write. Anything that does not parse is trusted as caught up.
inline bool resourceVersionAtLeast(const std::string& a, const std::string& b) {
  uint64_t x = 0, y = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ra.ec != std::errc() || rb.ec != std::errc()) return true;
  return x >= y;
}

}  // namespace st
