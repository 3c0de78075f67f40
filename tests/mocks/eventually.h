// Waiting on a condition in tests: polls until it holds or a REAL-time
// deadline passes. The deadline is a safety net against hangs, never a
// pass/fail threshold on speed.
#pragma once

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

namespace sttest {

// Calls `pred` until it returns true (returns true) or `timeout` has passed
// (returns false after one last call). The pause between calls starts at a
// millisecond and doubles up to `maxPause`: quick for in-process state,
// cheap for checks that run kubectl or read files.
inline bool eventually(const std::function<bool()>& pred,
                       std::chrono::milliseconds timeout = std::chrono::seconds(30),
                       std::chrono::milliseconds maxPause = std::chrono::milliseconds(20)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto pause = std::min(std::chrono::milliseconds(1), maxPause);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, maxPause);
  }
  return true;
}

}  // namespace sttest
