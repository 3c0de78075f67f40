#include "controller/manager.h"

#include <malloc.h>

#include <algorithm>
#include <atomic>
#include <cassert>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <utility>
#include <vector>

#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/metrics_auth.h"
#include "manager/runnable_group.h"

namespace ctrl {
namespace {

// How often sync checks are polled (informers do not notify).
constexpr auto kSyncPollInterval = std::chrono::milliseconds(100);

std::string seconds(Duration d) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%gs", std::chrono::duration<double>(d).count());
  return buf;
}

std::string joined(const std::vector<std::string>& names) {
  std::string out;
  for (const std::string& name : names) {
    if (!out.empty()) out += ", ";
    out += name;
  }
  return out;
}

}  // namespace

// Everything the runnable threads and the leader callbacks touch lives here,
// owned by shared_ptr, so a thread that outlives the Manager stays safe.
struct Manager::Core {
  explicit Core(ManagerOptions opts)
      : options(std::move(opts)),
        clock(options.clock != nullptr ? *options.clock : RealClock::instance()) {}

  // Records the reason to stop (the first one wins) and wakes start().
  void failLocked(const Status& err) {
    if (firstError.isOk()) firstError = err;
    stopping = true;
    cv.notify_all();
  }

  void requestStop() {
    std::lock_guard lock(mu);
    if (!stopping) log.info("Stop requested");
    stopping = true;
    cv.notify_all();
  }

  void onRunnableExit(const std::string& name, const Status& result) {
    if (result.isOk()) {
      if (!stopping) log.info("Runnable finished", {{"runnable", name}});
      return;
    }
    log.error(result, "Runnable failed", {{"runnable", name}});
    failLocked(result.withContext(name));
  }

  void onElectorExit(const std::string& name, const Status& result) {
    if (!result.isOk()) log.error(result, "Leader election failed", {{"runnable", name}});
    if (stopping) {
      if (!result.isOk()) failLocked(result.withContext(name));
      return;
    }
    failLocked(result.isOk() ? errorStatus(Code::kUnavailable, "leader election lost")
                             : result.withContext(name));
  }

  bool allSyncedLocked() const {
    return std::all_of(syncChecks.begin(), syncChecks.end(),
                       [](const auto& check) { return check.second(); });
  }

  void waitForSyncLocked(std::unique_lock<std::mutex>& lock) {
    const MonoTime deadline = clock.now() + options.cacheSyncTimeout;
    while (!stopping && !allSyncedLocked()) {
      const MonoTime now = clock.now();
      if (now >= deadline) {
        std::vector<std::string> pending;
        for (const auto& [name, check] : syncChecks) {
          if (!check()) pending.push_back(name);
        }
        failLocked(errorStatus(Code::kTimeout, "caches did not sync within " +
                                                   seconds(options.cacheSyncTimeout) + ": " +
                                                   joined(pending)));
        log.error(firstError, "Failed to wait for caches to sync");
        return;
      }
      clock.waitUntil(lock, cv, std::min<MonoTime>(now + kSyncPollInterval, deadline),
                      [&] { return stopping || allSyncedLocked(); });
    }
    if (stopping) return;
    synced = true;
    log.info("Caches synced", {{"count", syncChecks.size()}});
    // The initial LISTs parse large pages that are freed once decoded into
    // compact typed objects; hand that memory back to the system instead of
    // keeping it in glibc's arenas for the life of the process.
    malloc_trim(0);
  }

  void startLeadingLocked(const std::shared_ptr<Core>& self) {
    if (stopping || leading) return;
    leading = true;
    log.info("Starting leader-only runnables", {{"count", leaders.size()}});
    for (const auto& runnable : leaders) {
      leaderGroup.launchLocked(runnable, self, [this](const std::string& name, const Status& s) {
        onRunnableExit(name, s);
      });
    }
  }

  void stoppedLeading() {
    std::unique_lock lock(mu);
    if (!stopping) {
      log.error("Lost leadership, stopping");
      failLocked(errorStatus(Code::kUnavailable, "leader election lost"));
    }
    // Leader-only work must end before the elector releases (or stops
    // renewing) the lease, so wait for it here.
    leaderGroup.requestStop();
    const MonoTime deadline = clock.now() + options.gracefulShutdownTimeout;
    if (!clock.waitUntil(lock, cv, deadline, [&] { return leaderGroup.allDoneLocked(); })) {
      log.error("Leader-only runnables did not stop in time",
                {{"runnables", joined(leaderGroup.runningLocked())}});
    }
    leading = false;
  }

  // Stops the groups in order within one deadline; returns start()'s result.
  Status shutdownLocked(std::unique_lock<std::mutex>& lock) {
    log.info("Stopping runnables", {{"timeout", options.gracefulShutdownTimeout}});
    const MonoTime deadline = clock.now() + options.gracefulShutdownTimeout;
    std::vector<std::string> stuck;
    for (internal::RunnableGroup* group : {&leaderGroup, &electorGroup, &otherGroup}) {
      lock.unlock();  // a runnable may be in a callback that takes mu
      group->requestStop();
      lock.lock();
      if (!clock.waitUntil(lock, cv, deadline, [&] { return group->allDoneLocked(); })) {
        const std::vector<std::string> names = group->runningLocked();
        stuck.insert(stuck.end(), names.begin(), names.end());
      }
    }
    if (stuck.empty()) {
      if (firstError.isOk()) log.info("Stopped all runnables");
      return firstError;
    }
    const Status timeout = errorStatus(
        Code::kTimeout, "runnables did not stop within " +
                            seconds(options.gracefulShutdownTimeout) + ": " + joined(stuck));
    log.error(timeout, "Gave up waiting for runnables to stop");
    return firstError.isOk() ? timeout : firstError;
  }

  StatusOr<std::unique_ptr<HttpServer>> startServer(const std::string& address, bool metrics,
                                                    bool probes) {
    if (!options.httpServerFactory && !(metrics && options.metricsServerFactory)) {
      return errorStatus(Code::kInvalidArgument,
                         "an HTTP address is set but ManagerOptions.httpServerFactory is empty");
    }
    std::unique_ptr<HttpServer> server = metrics && options.metricsServerFactory
                                             ? options.metricsServerFactory()
                                             : options.httpServerFactory();
    if (metrics) registerMetrics(*server);
    if (probes) {
      healthz.registerOn(*server);
      readyz.registerOn(*server);
    }
    if (Status s = server->start(address); !s.isOk()) {
      server->stop();  // idempotent; releases whatever start() acquired
      return s;
    }
    log.info(
        "Serving HTTP",
        {{"address", address}, {"port", server->port()}, {"metrics", metrics}, {"probes", probes}});
    return server;
  }

  void registerMetrics(HttpServer& server) {
    const HttpHandler serve = [](const std::string&) { return serveMetrics(); };
    if (!options.metricsAuthorizer) {
      server.handle("/metrics", serve);
      return;
    }
    metricsEndpoint = std::make_unique<AuthorizedEndpoint>(options.metricsAuthorizer, serve);
    server.handleAsync("/metrics", metricsEndpoint->handler());
  }

  Status startServers() {
    const std::string& metricsAddress = options.metricsBindAddress;
    const std::string& probeAddress = options.healthProbeBindAddress;
    // Port 0 means "any free port", so two such addresses get two servers.
    const bool shared = metricsAddress == probeAddress && !metricsAddress.ends_with(":0");
    if (metricsAddress != "0") {
      auto server = startServer(metricsAddress, true, shared);
      if (!server.isOk()) return server.status().withContext("metrics server");
      metricsPort = (*server)->port();
      if (shared) probePort = (*server)->port();
      servers.push_back(std::move(server).value());
    }
    if (probeAddress != "0" && !shared) {
      auto server = startServer(probeAddress, false, true);
      if (!server.isOk()) return server.status().withContext("health probe server");
      probePort = (*server)->port();
      servers.push_back(std::move(server).value());
    }
    return Status::ok();
  }

  void stopServers() {
    for (const auto& server : servers) server->stop();
    servers.clear();
    metricsEndpoint.reset();  // after the servers: it answers what they still hold
    metricsPort = 0;
    probePort = 0;
  }

  const ManagerOptions options;
  Clock& clock;
  const log::Logger log = log::named("manager");
  HealthChecks healthz{"healthz"};
  HealthChecks readyz{"readyz"};
  std::atomic<int> metricsPort{0};
  std::atomic<int> probePort{0};

  std::mutex mu;
  std::condition_variable cv;
  // Guarded by mu.
  bool started = false;
  bool stopping = false;
  std::atomic<bool> leading{false};  // atomic too: read without mu by leading()
  std::atomic<bool> synced{false};   // idem, and by the readyz check
  Status firstError;
  std::vector<std::shared_ptr<Runnable>> others;
  std::vector<std::shared_ptr<Runnable>> leaders;
  std::shared_ptr<Runnable> elector;
  std::vector<std::pair<std::string, std::function<bool()>>> syncChecks;
  internal::RunnableGroup otherGroup{mu, cv};
  internal::RunnableGroup electorGroup{mu, cv};
  internal::RunnableGroup leaderGroup{mu, cv};
  // Only touched by start().
  std::vector<std::unique_ptr<HttpServer>> servers;
  std::unique_ptr<AuthorizedEndpoint> metricsEndpoint;
};

Manager::Manager(ManagerOptions options) : core_(std::make_shared<Core>(std::move(options))) {
  // Fresh lists with valid names: these cannot fail.
  Status s = core_->healthz.add("ping", [] { return Status::ok(); });
  assert(s.isOk());
  Core* core = core_.get();  // the checks are owned by the core
  s = core_->readyz.add("informer-sync", [core] {
    return core->synced ? Status::ok()
                        : errorStatus(Code::kUnavailable, "caches have not synced yet");
  });
  assert(s.isOk());
  (void)s;
}

Manager::~Manager() = default;

void Manager::add(std::shared_ptr<Runnable> runnable, std::function<bool()> hasSynced) {
  Core& c = *core_;
  std::lock_guard lock(c.mu);
  if (runnable == nullptr || c.started) {
    // A wiring bug in main(), not an environmental error.
    c.log.error("Manager::add called with a null runnable or after start");
    std::abort();
  }
  if (hasSynced) c.syncChecks.emplace_back(runnable->name(), std::move(hasSynced));
  (runnable->needsLeaderElection() ? c.leaders : c.others).push_back(std::move(runnable));
}

void Manager::setLeaderElector(std::shared_ptr<Runnable> elector) {
  Core& c = *core_;
  std::lock_guard lock(c.mu);
  if (elector == nullptr || c.started) {
    c.log.error("Manager::setLeaderElector called with null or after start");
    std::abort();
  }
  c.elector = std::move(elector);
}

LeaderCallbacks Manager::leaderCallbacks() {
  // Weak: the elector is owned by the core, and must not keep it alive.
  std::weak_ptr<Core> weak = core_;
  LeaderCallbacks callbacks;
  callbacks.onStartedLeading = [weak] {
    if (auto core = weak.lock()) {
      std::lock_guard lock(core->mu);
      core->log.info("Became the leader");
      core->startLeadingLocked(core);
    }
  };
  callbacks.onStoppedLeading = [weak] {
    if (auto core = weak.lock()) core->stoppedLeading();
  };
  callbacks.onNewLeader = [weak](const std::string& identity) {
    // The elector logs it already; keep a trace at V(2) for the manager's view.
    if (auto core = weak.lock())
      core->log.v(2).info("Observed a new leader", {{"identity", identity}});
  };
  return callbacks;
}

Status Manager::addHealthzCheck(std::string name, HealthCheck check) {
  return core_->healthz.add(std::move(name), std::move(check));
}

Status Manager::addReadyzCheck(std::string name, HealthCheck check) {
  return core_->readyz.add(std::move(name), std::move(check));
}

Status Manager::start(std::stop_token stop) {
  Core& c = *core_;
  {
    std::lock_guard lock(c.mu);
    if (c.started) return errorStatus(Code::kInternal, "Manager::start called twice");
    c.started = true;
  }
  if (Status s = c.startServers(); !s.isOk()) {
    c.log.error(s, "Failed to start the HTTP servers");
    c.stopServers();
    return s;
  }
  std::stop_callback onStop(stop, [&c] { c.requestStop(); });

  std::unique_lock lock(c.mu);
  c.log.info("Starting manager", {{"runnables", c.others.size()},
                                  {"leaderOnlyRunnables", c.leaders.size()},
                                  {"leaderElection", c.elector != nullptr}});
  for (const auto& runnable : c.others) {
    c.otherGroup.launchLocked(runnable, core_, [&c](const std::string& name, const Status& s) {
      c.onRunnableExit(name, s);
    });
  }
  c.waitForSyncLocked(lock);
  if (!c.stopping) {
    if (c.elector != nullptr) {
      c.log.info("Starting leader election");
      c.electorGroup.launchLocked(c.elector, core_, [&c](const std::string& name, const Status& s) {
        c.onElectorExit(name, s);
      });
    } else {
      c.startLeadingLocked(core_);
    }
  }
  c.cv.wait(lock, [&] { return c.stopping; });
  const Status result = c.shutdownLocked(lock);
  lock.unlock();

  c.stopServers();
  c.leaderGroup.release();
  c.electorGroup.release();
  c.otherGroup.release();
  return result;
}

int Manager::metricsPort() const { return core_->metricsPort; }
int Manager::probePort() const { return core_->probePort; }
bool Manager::leading() const { return core_->leading; }
bool Manager::synced() const { return core_->synced; }

HttpServerResponse Manager::serveMetrics() {
  HttpServerResponse response;
  response.contentType = "text/plain; version=0.0.4; charset=utf-8";
  response.body = renderMetrics(*metricsRegistry());
  return response;
}

}  // namespace ctrl
