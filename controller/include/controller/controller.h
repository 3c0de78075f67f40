// Controllers: a work queue of object keys feeding worker threads that call a
// Reconciler, as in controller-runtime.
//
// Event handlers (informer callbacks) call Controller::enqueue(ns, name); the
// queue deduplicates, never hands one key to two workers at once, and retries
// failures with per-item exponential backoff plus an overall bucket. The
// Manager runs the Controller as a Runnable (only while leader, by default).
//
// Metrics (label controller=<name>), controller-runtime's series:
// controller_runtime_reconcile_total{result=success|error|requeue|requeue_after},
// controller_runtime_reconcile_errors_total, controller_runtime_reconcile_panics_total
// (the reconciler threw), controller_runtime_reconcile_time_seconds,
// controller_runtime_max_concurrent_reconciles, controller_runtime_active_workers;
// plus the queue's workqueue_* series with name=<name>.
#pragma once

#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "controller/clock.h"
#include "controller/rate_limiters.h"
#include "controller/runnable.h"
#include "controller/status.h"

namespace ctrl {

class WorkQueue;

// Identifies the object to reconcile: nothing else about it, and nothing
// about the event that caused the request.
struct Request {
  std::string ns;  // empty for cluster-scoped objects
  std::string name;

  // The queue key: "namespace/name", or "name" for cluster-scoped objects.
  std::string key() const;
  // The inverse of key(): splits at the first '/' (neither namespaces nor
  // names may contain one).
  static Request fromKey(std::string_view key);

  bool operator==(const Request&) const = default;
};

// What a successful reconcile asks for next. The default ({}) means "done":
// the object is reconciled again only when an event enqueues it.
struct Result {
  // Reconcile again after the rate limiter's backoff (counted as a retry).
  bool requeue = false;
  // When > 0, reconcile again after this long, and reset the backoff (used
  // for scheduled work such as token rotation). Takes precedence over requeue.
  Duration requeueAfter = Duration::zero();
};

// Reconciler drives the actual state of the world towards the desired state
// for ONE object, named by `request`.
//
// Contract (controller-runtime's, pkg/reconcile):
// - Level-based, not edge-based: the reconciler is told only which object to
//   look at, never what changed or which event fired. It must read the
//   current state (from the cache) and act on it as a whole; several events
//   may be folded into one call, and calls may come without any change.
// - The object may no longer exist (it was deleted): that is a normal case,
//   handled by cleaning up what is left and returning success.
// - Idempotent: running it twice in a row must be harmless.
// - Never called concurrently for the same Request; calls for different
//   Requests may run in parallel on different worker threads.
// - Returns a Result on success; returns an error Status to have the request
//   retried with exponential backoff (do not also sleep or loop internally).
//   Result{.requeue = true} retries with the same backoff without logging an
//   error; an error Status is also logged and counted in the error metrics.
//   An error with code Fenced (a write refused or cut off because this
//   process no longer leads, see write_fence.h) is neither retried nor
//   counted: the request is dropped, as the controller is about to stop.
// - Must not throw. If it does, the exception is caught, logged and treated
//   as an error (and counted in controller_runtime_reconcile_panics_total).
// - `stop` is requested when the controller shuts down; long operations
//   should watch it and return (any Status) promptly.
class Reconciler {
 public:
  virtual ~Reconciler() = default;
  virtual StatusOr<Result> reconcile(const Request& request, std::stop_token stop) = 0;
};

struct ControllerOptions {
  // Required and unique in the process: names logs and metrics.
  std::string name;
  // Number of worker threads, i.e. reconciles running at once (values < 1
  // mean 1).
  int workers = 4;
  // Time source for backoff and requeueAfter; must outlive the controller.
  // Null means RealClock::instance().
  Clock* clock = nullptr;
  // Retry policy; null means newDefaultControllerRateLimiter(*clock).
  std::unique_ptr<RateLimiter> rateLimiter;
  // Whether to run only while holding the leader lease.
  bool needLeaderElection = true;
};

class Controller final : public Runnable {
 public:
  // The controller owns `reconciler` (non-null).
  Controller(ControllerOptions options, std::unique_ptr<Reconciler> reconciler);
  // Precondition: start() is not running (it has returned, or never ran).
  ~Controller() override;
  Controller(const Controller&) = delete;
  Controller& operator=(const Controller&) = delete;

  // Queues a reconcile of ns/name. May be called before start() (requests
  // wait, deduplicated, until workers run) and from any thread; ignored once
  // the controller has stopped. Cheap: suitable for event handlers.
  void enqueue(std::string_view ns, std::string_view name);
  void enqueue(const Request& request);

  // Runs `workers` worker threads until `stop` is requested, then returns OK
  // once in-flight reconciles have returned (they get `stop` too). Keys
  // still queued are dropped: the next leader's initial list enqueues every
  // object again. Call at most once; a second call returns Internal.
  Status start(std::stop_token stop) override;
  std::string name() const override;
  bool needsLeaderElection() const override;

  // The underlying queue, for handlers that need addAfter() and for tests
  // (numRequeues()). Valid for the controller's lifetime.
  WorkQueue& queue();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrl
