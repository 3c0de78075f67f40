// Waiting on a condition in tests: polls until it holds or a REAL-time
// deadline passes. The deadline is a safety net against hangs, never a
// pass/fail threshold on speed.
#pragma once

#include <chrono>
#include <functional>
#include <thread>

namespace sttest {

inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace sttest
