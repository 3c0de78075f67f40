// Liveness (/healthz) and readiness (/readyz) checks, answered in the
// Kubernetes format: 200 "ok" when every check passes, otherwise 500 with one
// line per check and a summary:
//
//   [+]ping ok
//   [-]informer-sync failed: reason withheld
//   readyz check failed
//
// As in Kubernetes, the reason a check failed is withheld from the HTTP
// answer (probes are unauthenticated) and logged instead. Each check is also
// served alone on /<endpoint>/<name>.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/http_server.h"
#include "controller/status.h"

namespace ctrl {

// Returns OK when healthy. Runs on an HTTP server thread at every probe: it
// must be quick and must not block. Must not throw (an exception counts as a
// failure).
using HealthCheck = std::function<Status()>;

class HealthChecks {
 public:
  // `endpoint` is "healthz" or "readyz": it names the summary line and logs.
  explicit HealthChecks(std::string endpoint) : endpoint_(std::move(endpoint)) {}
  HealthChecks(const HealthChecks&) = delete;
  HealthChecks& operator=(const HealthChecks&) = delete;

  // Adds a named check. Errors: InvalidArgument when the name is empty,
  // contains '/' or whitespace, or is already taken. Thread-safe.
  Status add(std::string name, HealthCheck check);

  // Runs every check, in the order added. Thread-safe.
  HttpServerResponse serveAll() const;
  // Runs one check: 200 "ok", 500 "[-]name failed: reason withheld", or 404
  // for an unknown name. Thread-safe.
  HttpServerResponse serveOne(std::string_view name) const;
  // The names, in the order added. Thread-safe.
  std::vector<std::string> names() const;
  const std::string& endpoint() const { return endpoint_; }

  // Registers /<endpoint> and /<endpoint>/<name> for every check added so
  // far on `server`. `this` must outlive the server's use of the handlers.
  void registerOn(HttpServer& server) const;

 private:
  using Entry = std::pair<std::string, HealthCheck>;
  std::vector<Entry> snapshot() const;
  // Runs `check`; logs the reason when it fails.
  bool passes(const Entry& check) const;

  const std::string endpoint_;
  mutable std::mutex mu_;
  std::vector<Entry> checks_;  // guarded by mu_
};

}  // namespace ctrl
