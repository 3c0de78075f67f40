// Waiting on the cluster in e2e tests: poll a condition until it holds or a
// real-time deadline passes. The deadline is a safety net against hangs, never
// a pass/fail threshold on speed. Conditions here usually run kubectl, so the
// poll interval is coarser than tests/mocks/eventually.h (saves CPU on a
// shared machine).
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sttest::e2e {

// Calls `pred` until it returns true (returns true) or `timeout` has passed
// (returns false after one last call). Thread-compatible.
inline bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout,
                       std::chrono::milliseconds interval = std::chrono::milliseconds(200)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(interval);
  }
  return true;
}

// Seconds elapsed since `start`, for reporting measured durations.
inline double secondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace sttest::e2e
