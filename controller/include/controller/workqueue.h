// A work queue of object keys ("namespace/name") for controllers, with
// client-go's guarantees:
//  - dedup: a key added many times before a worker takes it is handed out once;
//  - a key being processed (between get() and done()) is never handed to a
//    second worker; if it is added meanwhile, it is queued again once, when
//    done() is called;
//  - delayed adds (addAfter) are driven by the injected Clock; when a key is
//    scheduled twice, the earlier time wins;
//  - rate-limited adds (addRateLimited) wait as long as the RateLimiter says,
//    by default per-item exponential backoff plus an overall token bucket.
//
// Metrics (when the queue has a name) use controller-runtime's series with
// the label name=<queue name>: workqueue_depth, workqueue_adds_total,
// workqueue_queue_duration_seconds, workqueue_work_duration_seconds,
// workqueue_retries_total, workqueue_unfinished_work_seconds and
// workqueue_longest_running_processor_seconds, in ctrl::metricsRegistry().
#pragma once

#include <cstddef>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>

#include "controller/clock.h"
#include "controller/rate_limiters.h"

namespace ctrl {

struct WorkQueueOptions {
  // Label value for the metrics; empty means no metrics. Use one name per
  // queue (the controller name): queues with the same name share series.
  std::string name;
  // Time source for delays, backoff and metrics; must outlive the queue.
  // Null means RealClock::instance().
  Clock* clock = nullptr;
  // Null means newDefaultControllerRateLimiter(*clock).
  std::unique_ptr<RateLimiter> rateLimiter;
};

class WorkQueue {
 public:
  explicit WorkQueue(WorkQueueOptions options);
  // Shuts the queue down and joins its timer thread.
  ~WorkQueue();
  WorkQueue(const WorkQueue&) = delete;
  WorkQueue& operator=(const WorkQueue&) = delete;

  // Queues `key` unless it is already queued; if it is being processed it is
  // queued again when done() is called. Ignored after shutDown(). Thread-safe.
  void add(const std::string& key);
  // Adds `key` once `delay` has passed on the clock (at once if delay <= 0).
  // If `key` is already waiting, the earlier of the two times is kept.
  // Ignored after shutDown(). Thread-safe.
  void addAfter(const std::string& key, Duration delay);
  // Adds `key` after the rate limiter's delay for it and counts a retry. The
  // delay counts from a time read before the limiter records the retry, so a
  // caller that sees numRequeues() grow knows the key is already scheduled
  // relative to a clock reading no later than that. Thread-safe.
  void addRateLimited(const std::string& key);
  // Resets `key`'s backoff (call after it was processed successfully). It
  // does not remove a pending add. Thread-safe.
  void forget(const std::string& key);
  // Retries of `key` since it was last forgotten. Thread-safe.
  int numRequeues(const std::string& key) const;

  // Blocks until a key is ready and returns it; the caller must call done()
  // with it when finished. Returns nullopt once the queue is shut down or
  // `stop` is requested (keys still queued are then not handed out).
  // Thread-safe: any number of workers may wait.
  std::optional<std::string> get(std::stop_token stop = {});
  // Marks `key` (returned by get()) as finished. Thread-safe.
  void done(const std::string& key);

  // Stops the queue: blocked and future get() calls return nullopt, adds are
  // ignored, pending delayed adds are dropped. Keys in flight may still be
  // passed to done(). Idempotent. Thread-safe.
  void shutDown();
  // shutDown(), then blocks until every key in flight has been passed to
  // done(). Thread-safe; must not be called from a worker holding a key.
  void shutDownWithDrain();
  bool shuttingDown() const;

  // Number of keys ready to be handed out (not counting those in flight or
  // waiting for a delay). Thread-safe.
  size_t len() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrl
