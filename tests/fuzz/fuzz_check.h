// Helpers shared by the fuzz targets (see README "Fuzzing"). Each target is a
// libFuzzer entry point, LLVMFuzzerTestOneInput, built two ways: with
// clang-14 and -fsanitize=fuzzer,address,undefined for `make fuzz`, and with
// replay_main.cc into a plain test that replays the checked-in corpus (so
// `make test` keeps every target compiling and every past crash fixed).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace stfuzz {

// Aborts with `what` when a property of the code under test does not hold:
// the fuzzer reports an abort as a crash and keeps the input. `what` names the
// property only; it never contains input bytes (they may look like tokens).
inline void check(bool holds, const char* what) {
  if (holds) return;
  std::fprintf(stderr, "fuzz property violated: %s\n", what);
  std::abort();
}

inline std::string_view asText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace stfuzz
