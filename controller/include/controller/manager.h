// The Manager runs everything long-running in the process, as
// controller-runtime's manager does:
//
//   1. the HTTP servers: metrics (/metrics) and probes (/healthz, /readyz);
//   2. the runnables that do not need the leader lease (informers, ...);
//   3. waits until every sync check passes (informers have listed);
//   4. with leader election: runs the elector, and starts the leader-only
//      runnables (controllers) when it reports that we lead; without: starts
//      them at once.
//
// It stops everything when the stop token is requested (SIGTERM, see
// signals.h), when a runnable returns an error, when leadership is lost or
// when the caches do not sync in time. Shutdown goes in reverse: leader-only
// runnables, then the elector (which releases the lease), then the others,
// then the HTTP servers, all within gracefulShutdownTimeout.
//
// Usage:
//   ctrl::Manager mgr({.metricsBindAddress = ":8080", .healthProbeBindAddress = ":8081",
//                      .httpServerFactory = ctrl::makeCppRestHttpServer});
//   mgr.add(informer);                       // Informer<T>: its hasSynced() is used
//   mgr.add(std::move(controller));          // needsLeaderElection(): started when leading
//   LeaderElectionConfig le{...};
//   le.callbacks = mgr.leaderCallbacks();
//   mgr.setLeaderElector(LeaderElector::create(client, clock, std::move(le)).value());
//   Status s = mgr.start(ctrl::installSignalHandlers().get_token());  // non-OK: exit 1
#pragma once

#include <chrono>
#include <concepts>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "controller/clock.h"
#include "controller/health.h"
#include "controller/http_server.h"
#include "controller/leader_elector.h"
#include "controller/runnable.h"
#include "controller/status.h"

namespace ctrl {

class RequestAuthorizer;  // controller/metrics_auth.h

struct ManagerOptions {
  // "host:port", ":port", or "0" to disable. Equal addresses share one
  // server, except with port 0 (any free port), where each gets its own.
  std::string metricsBindAddress = "0";
  std::string healthProbeBindAddress = "0";
  // Makes the HTTP servers; production passes makeCppRestHttpServer. Needed
  // only when an address is not "0".
  std::function<std::unique_ptr<HttpServer>()> httpServerFactory;
  // Makes the metrics server instead, when set (e.g. an HTTPS server); a
  // probe address equal to the metrics address shares that server.
  std::function<std::unique_ptr<HttpServer>()> metricsServerFactory;
  // When set, /metrics answers only callers it allows (metrics_auth.h): 401
  // without an accepted bearer token, 403 without `get` on /metrics. Null:
  // /metrics is open to anyone who can reach it.
  std::shared_ptr<RequestAuthorizer> metricsAuthorizer;
  // How long start() waits, after stop, for runnables to return.
  Duration gracefulShutdownTimeout = std::chrono::seconds(30);
  // How long start() waits for the sync checks before giving up (Timeout).
  Duration cacheSyncTimeout = std::chrono::minutes(2);
  // Must outlive the manager. Null means RealClock::instance().
  Clock* clock = nullptr;
};

class Manager {
 public:
  explicit Manager(ManagerOptions options = {});
  // Must not run while start() does. Threads of runnables that ignored the
  // shutdown bound are left running (detached); they own what they use.
  ~Manager();
  Manager(const Manager&) = delete;
  Manager& operator=(const Manager&) = delete;

  // Adds a runnable. Runnables whose needsLeaderElection() is true start
  // only while leading. `hasSynced` (optional) must turn true before any
  // leader-only runnable starts; it is polled, must be quick and thread-safe.
  // Precondition: start() has not been called (violations abort).
  void add(std::shared_ptr<Runnable> runnable, std::function<bool()> hasSynced);
  // As above; a runnable with a `bool hasSynced() const` (Informer<T>)
  // contributes it as its sync check.
  template <std::derived_from<Runnable> R>
  void add(std::shared_ptr<R> runnable) {
    std::function<bool()> synced;
    if constexpr (requires(const R& r) {
                    { r.hasSynced() } -> std::convertible_to<bool>;
                  }) {
      synced = [r = runnable.get()] { return r->hasSynced(); };  // kept alive by the manager
    }
    add(std::shared_ptr<Runnable>(std::move(runnable)), std::move(synced));
  }
  template <std::derived_from<Runnable> R>
  void add(std::unique_ptr<R> runnable) {
    add(std::shared_ptr<R>(std::move(runnable)));
  }

  // Enables leader election. `elector` campaigns in start() (LeaderElector):
  // it must have been built with leaderCallbacks(), and returns when
  // leadership is lost (any return while the manager runs stops it with an
  // error). Precondition: start() has not been called.
  void setLeaderElector(std::shared_ptr<Runnable> elector);
  // Callbacks to put in LeaderElectionConfig: onStartedLeading starts the
  // leader-only runnables; onStoppedLeading stops them (waiting up to
  // gracefulShutdownTimeout) and, unless the manager is already stopping,
  // stops the manager with Unavailable "leader election lost". Safe to call
  // from any thread, also after the manager is gone (they do nothing then).
  LeaderCallbacks leaderCallbacks();

  // Adds a check to /healthz or /readyz (see health.h). Built in: healthz
  // "ping" (always OK) and readyz "informer-sync" (OK once the sync checks
  // passed). Call before start(). Errors: as HealthChecks::add.
  Status addHealthzCheck(std::string name, HealthCheck check);
  Status addReadyzCheck(std::string name, HealthCheck check);

  // Runs until stopped (see the file comment); call once. Returns OK after a
  // requested stop in which every runnable returned in time. Errors: the
  // first runnable error (the elector's, for lost leadership: Unavailable);
  // Timeout when caches did not sync in cacheSyncTimeout, or when runnables
  // did not return within gracefulShutdownTimeout (their names are logged
  // and listed in the message); the HTTP server's error when it cannot
  // listen (Unavailable) or the address is malformed (InvalidArgument);
  // InvalidArgument when a server is enabled without httpServerFactory;
  // Internal when called twice.
  Status start(std::stop_token stop);

  // The bound ports (0 until the servers listen, or when disabled): for tests
  // using port 0. Thread-safe.
  int metricsPort() const;
  int probePort() const;
  // Whether the leader-only runnables have been started. Thread-safe.
  bool leading() const;
  // Whether every sync check has passed. Thread-safe.
  bool synced() const;

  // The handler serving /metrics: the shared registry in Prometheus text.
  static HttpServerResponse serveMetrics();

 private:
  struct Core;
  std::shared_ptr<Core> core_;
};

}  // namespace ctrl
