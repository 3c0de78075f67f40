// Waiting on the cluster in e2e tests: poll a condition until it holds or a
// real-time deadline passes. The deadline is a safety net against hangs, never
// a pass/fail threshold on speed. Conditions here usually run kubectl, so the
// poll interval is coarser than tests/mocks/eventually.h (saves CPU on a
// shared machine).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

#include "mocks/eventually.h"

namespace sttest::e2e {

// sttest::eventually() polling at most every `interval`: e2e conditions
// usually run kubectl.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(200)) {
  return sttest::eventually(pred, timeout, interval);
}

// Seconds elapsed since `start`, for reporting measured durations.
inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sttest::e2e
