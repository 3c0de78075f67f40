#include "controller/retry.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace ctrl {

bool isTransient(Code code) {
  return code == Code::kTooManyRequests || code == Code::kUnavailable || code == Code::kTimeout;
}

bool sleepFor(Clock& clock, Duration d, std::stop_token stop) {
  std::mutex mu;
  std::condition_variable cv;
  std::stop_callback onStop(stop, [&] {
    std::lock_guard lock(mu);
    cv.notify_all();
  });
  const MonoTime deadline = clock.now() + d;
  std::unique_lock lock(mu);
  clock.waitUntil(lock, cv, deadline,
                  [&] { return stop.stop_requested() || clock.now() >= deadline; });
  return !stop.stop_requested();
}

Status retryTransient(Clock& clock, std::stop_token stop, const RetryOptions& options,
                      const std::function<Status()>& attempt,
                      const std::function<void(const Status&, Duration)>& onRetry) {
  const MonoTime giveUpAt = clock.now() + options.giveUpAfter;
  Duration delay = options.initialDelay;
  for (;;) {
    Status s = attempt();
    if (s.isOk() || !isTransient(s.code())) return s;
    if (clock.now() + delay >= giveUpAt) return s;
    if (onRetry) onRetry(s, delay);
    if (!sleepFor(clock, delay, stop)) return Status(Code::kCancelled, "stopped while retrying");
    delay = std::min(delay * 2, options.maxDelay);
  }
}

}  // namespace ctrl
