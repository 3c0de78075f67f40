// Retrying work that failed for a reason that heals by itself: start-up I/O
// meeting an API server that is busy (429), restarting or overloaded (5xx),
// or unreachable for a moment. Waits run on an injectable Clock and end early
// when the caller stops.
#pragma once

#include <chrono>
#include <functional>
#include <stop_token>

#include "controller/clock.h"
#include "controller/status.h"

namespace ctrl {

// Whether an error of `code` can heal without anyone acting: TooManyRequests,
// Unavailable and Timeout. Everything else (Forbidden, Invalid, NotFound, ...)
// needs a person or a different request.
bool isTransient(Code code);

// Waits `d` on `clock`. Returns false when `stop` was requested first (at
// once when it already was), true otherwise.
bool sleepFor(Clock& clock, Duration d, std::stop_token stop);

struct RetryOptions {
  Duration initialDelay = std::chrono::milliseconds(500);
  Duration maxDelay = std::chrono::seconds(16);  // the delay doubles up to this
  // No new attempt starts this long after the first one began.
  Duration giveUpAfter = std::chrono::minutes(2);
};

// Calls `attempt` until it returns OK, an error that is not transient, or
// `options.giveUpAfter` has passed; returns that last result. Between
// attempts it calls `onRetry(error, delay)` (for a log line) and waits
// `delay`, doubling from initialDelay up to maxDelay. Returns Cancelled
// when `stop` is requested during a wait.
Status retryTransient(Clock& clock, std::stop_token stop, const RetryOptions& options,
                      const std::function<Status()>& attempt,
                      const std::function<void(const Status&, Duration)>& onRetry = {});

}  // namespace ctrl
