// servicetoken-operator assembled: informers for ServiceTokens, ServiceUsers
// and the operator's Secrets (by label), the two reconcilers, the event
// recorder, the token authority and, optionally, leader election, all owned
// by one ctrl::Manager. A library so integration tests run the real wiring
// in-process with a fake clock; main.cc only adds flags, config and signals.
#pragma once

#include <memory>
#include <stop_token>

#include "api/types.h"
#include "controller/client.h"
#include "controller/clock.h"
#include "controller/http_server.h"
#include "controller/retry.h"
#include "controller/store.h"
#include "operator/options.h"

namespace st {

class RandomSource;

struct OperatorDeps {
  ctrl::Client* client = nullptr;  // required; must outlive the operator
  ctrl::Clock* clock = nullptr;    // nullptr: the real clock
  std::function<std::unique_ptr<ctrl::HttpServer>()> httpServerFactory;  // for metrics/probes
  // For /metrics with --metrics-secure (the default); production passes
  // ctrl::makeCppRestHttpsServer.
  std::function<std::unique_ptr<ctrl::HttpServer>(ctrl::HttpServerTlsSource)> httpsServerFactory;
  RandomSource* random = nullptr;  // nullptr: OpenSSL's CSPRNG
  // Ends create()'s retries of the start-up I/O early (a signal).
  std::stop_token stop;
  // How long create() retries start-up I/O that fails for a transient reason
  // (429, 5xx, a connection refused or timed out) before it gives up.
  ctrl::RetryOptions startupRetry;
};

class Operator {
 public:
  // Loads (or creates) the signing keys, publishes the JWKS and builds the
  // runnables. The key and JWKS I/O is retried while it fails transiently
  // (deps.startupRetry). Errors: from the API (Forbidden; Unavailable and
  // the like once the retries gave up; Cancelled on deps.stop) or bad options.
  static ctrl::StatusOr<std::unique_ptr<Operator>> create(const OperatorOptions& options,
                                                          OperatorDeps deps);
  ~Operator();
  Operator(const Operator&) = delete;
  Operator& operator=(const Operator&) = delete;

  // Runs until `stop` (OK) or a fatal error (lost leadership, a runnable
  // failed). Call once.
  ctrl::Status run(std::stop_token stop);

  // Read access for tests and the health checks.
  bool synced() const;
  const ctrl::Store<ServiceToken>& tokens() const;
  const ctrl::Store<TokenSecret>& secrets() const;
  int metricsPort() const;
  int probePort() const;

 private:
  struct Impl;
  explicit Operator(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace st
