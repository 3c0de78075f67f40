// The controller's worker loop. Workers take a key, call the reconciler, and
// hand the outcome to handleOutcome(), the one place that decides what the
// queue does next (retry with backoff, schedule, or forget).
#include "controller/controller.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <exception>
#include <memory>
#include <thread>
#include <typeinfo>
#include <vector>

#include "base/exception_type.h"
#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/workqueue.h"

namespace ctrl {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// controller-runtime's buckets for controller_runtime_reconcile_time_seconds.
prometheus::Histogram::BucketBoundaries reconcileTimeBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1,  0.15, 0.2,  0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6,
          0.7,   0.8,  0.9,   1.0,  1.25, 1.5,  1.75, 2.0,  2.5, 3.0,  3.5, 4.0,  4.5, 5,
          6,     7,    8,     9,    10,   15,   20,   25,   30,  40,   50,  60};
}

struct ControllerMetrics {
  explicit ControllerMetrics(const std::string& controller) {
    auto& registry = *metricsRegistry();
    auto& total = prometheus::BuildCounter()
                      .Name("controller_runtime_reconcile_total")
                      .Help("Total number of reconciliations per controller")
                      .Register(registry);
    success = &total.Add({{"controller", controller}, {"result", "success"}});
    error = &total.Add({{"controller", controller}, {"result", "error"}});
    requeue = &total.Add({{"controller", controller}, {"result", "requeue"}});
    requeueAfter = &total.Add({{"controller", controller}, {"result", "requeue_after"}});
    const prometheus::Labels labels{{"controller", controller}};
    errors = &prometheus::BuildCounter()
                  .Name("controller_runtime_reconcile_errors_total")
                  .Help("Total number of reconciliation errors per controller")
                  .Register(registry)
                  .Add(labels);
    panics = &prometheus::BuildCounter()
                  .Name("controller_runtime_reconcile_panics_total")
                  .Help("Total number of reconciliation panics per controller")
                  .Register(registry)
                  .Add(labels);
    time = &prometheus::BuildHistogram()
                .Name("controller_runtime_reconcile_time_seconds")
                .Help("Length of time per reconciliation per controller")
                .Register(registry)
                .Add(labels, reconcileTimeBuckets());
    maxConcurrent = &prometheus::BuildGauge()
                         .Name("controller_runtime_max_concurrent_reconciles")
                         .Help("Maximum number of concurrent reconciles per controller")
                         .Register(registry)
                         .Add(labels);
    activeWorkers = &prometheus::BuildGauge()
                         .Name("controller_runtime_active_workers")
                         .Help("Number of currently used workers per controller")
                         .Register(registry)
                         .Add(labels);
  }

  prometheus::Counter* success;
  prometheus::Counter* error;
  prometheus::Counter* requeue;
  prometheus::Counter* requeueAfter;
  prometheus::Counter* errors;
  prometheus::Counter* panics;
  prometheus::Histogram* time;
  prometheus::Gauge* maxConcurrent;
  prometheus::Gauge* activeWorkers;
};

}  // namespace

std::string Request::key() const { return ns.empty() ? name : ns + "/" + name; }

Request Request::fromKey(std::string_view key) {
  const auto slash = key.find('/');
  if (slash == std::string_view::npos) return {"", std::string(key)};
  return {std::string(key.substr(0, slash)), std::string(key.substr(slash + 1))};
}

class Controller::Impl {
 public:
  Impl(ControllerOptions options, std::unique_ptr<Reconciler> reconciler)
      : name_(std::move(options.name)),
        workers_(std::max(1, options.workers)),
        needLeaderElection_(options.needLeaderElection),
        clock_(options.clock != nullptr ? *options.clock : RealClock::instance()),
        reconciler_(std::move(reconciler)),
        queue_(WorkQueueOptions{
            .name = name_, .clock = &clock_, .rateLimiter = std::move(options.rateLimiter)}),
        metrics_(name_),
        log_(log::named("controller").withValues({{"controller", name_}})) {}

  Status start(std::stop_token stop) {
    if (started_.exchange(true)) {
      return errorStatus(Code::kInternal, "controller " + name_ + " was already started");
    }
    metrics_.maxConcurrent->Set(workers_);
    log_.info("Starting workers", {{"workerCount", workers_}});
    {
      // Shutting the queue down also drops scheduled retries and ignores
      // late enqueues; workers see `stop` in get() either way.
      std::stop_callback onStop(stop, [this] { queue_.shutDown(); });
      std::vector<std::jthread> workers;
      workers.reserve(static_cast<size_t>(workers_));
      for (int i = 0; i < workers_; ++i) workers.emplace_back([this, stop] { workerLoop(stop); });
    }  // joins the workers: each returns once its reconcile (if any) has
    log_.info("Stopped workers");
    return Status::ok();
  }

  void workerLoop(const std::stop_token& stop) {
    while (auto key = queue_.get(stop)) {
      metrics_.activeWorkers->Increment();
      reconcileKey(*key, stop);
      metrics_.activeWorkers->Decrement();
    }
  }

  void reconcileKey(const std::string& key, const std::stop_token& stop) {
    const Request request = Request::fromKey(key);
    const MonoTime started = clock_.now();
    const StatusOr<Result> outcome = invokeReconciler(request, stop);
    metrics_.time->Observe(seconds(clock_.now() - started));
    handleOutcome(key, request, outcome, stop);
    queue_.done(key);
  }

  // Exceptions stop here: a throwing reconciler is a bug, but it must not
  // take the worker thread (or the process) down with it.
  StatusOr<Result> invokeReconciler(const Request& request, const std::stop_token& stop) {
    try {
      return reconciler_->reconcile(request, stop);
    } catch (...) {
      metrics_.panics->Increment();
      return errorStatus(Code::kInternal, "reconciler threw " + internal::currentExceptionType());
    }
  }

  // The only place that turns a reconcile outcome into queue actions.
  void handleOutcome(const std::string& key, const Request& request,
                     const StatusOr<Result>& outcome, const std::stop_token& stop) {
    if (!outcome.isOk() && outcome.status().code() == Code::kFenced) {
      // Leadership has ended (write_fence.h): not this object's failure, and
      // not worth a retry here. The manager is stopping the controller; the
      // next leader lists, and so reconciles, every object again.
      queue_.forget(key);
      auto line = fencedLogged_.exchange(true) ? log_.v(1) : log_;
      line.info("Reconcile stopped: this process no longer leads",
                {{"namespace", request.ns}, {"name", request.name}});
      return;
    }
    if (!outcome.isOk()) {
      queue_.addRateLimited(key);
      metrics_.error->Increment();
      metrics_.errors->Increment();
      if (stop.stop_requested()) {
        // Most likely the reconciler giving up because we asked it to.
        log_.v(1).info("Reconcile interrupted by shutdown",
                       {{"namespace", request.ns},
                        {"name", request.name},
                        {"error", outcome.status().toString()}});
      } else {
        log_.error(outcome.status(), "Reconcile failed",
                   {{"namespace", request.ns},
                    {"name", request.name},
                    {"retries", queue_.numRequeues(key)}});
      }
      return;
    }
    const Result& result = *outcome;
    if (result.requeueAfter > Duration::zero()) {
      // Scheduled work, not a failure: the backoff starts over.
      queue_.forget(key);
      queue_.addAfter(key, result.requeueAfter);
      metrics_.requeueAfter->Increment();
      return;
    }
    if (result.requeue) {
      queue_.addRateLimited(key);
      metrics_.requeue->Increment();
      return;
    }
    queue_.forget(key);
    metrics_.success->Increment();
  }

  const std::string name_;
  const int workers_;
  const bool needLeaderElection_;
  Clock& clock_;
  const std::unique_ptr<Reconciler> reconciler_;
  WorkQueue queue_;
  ControllerMetrics metrics_;
  log::Logger log_;
  std::atomic<bool> started_{false};
  std::atomic<bool> fencedLogged_{false};  // the first Fenced outcome is logged at info
};

Controller::Controller(ControllerOptions options, std::unique_ptr<Reconciler> reconciler)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(reconciler))) {}

Controller::~Controller() = default;

void Controller::enqueue(std::string_view ns, std::string_view name) {
  enqueue(Request{std::string(ns), std::string(name)});
}

void Controller::enqueue(const Request& request) { impl_->queue_.add(request.key()); }

Status Controller::start(std::stop_token stop) { return impl_->start(std::move(stop)); }

std::string Controller::name() const { return impl_->name_; }

bool Controller::needsLeaderElection() const { return impl_->needLeaderElection_; }

WorkQueue& Controller::queue() { return impl_->queue_; }

}  // namespace ctrl
