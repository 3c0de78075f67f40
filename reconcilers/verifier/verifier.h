// servicetoken-verifier assembled: informers for ServiceTokens, ServiceUsers
// and the JWKS ConfigMap, the Authenticator over them, and the serving
// endpoints (forward-auth, TokenReview, OIDC discovery and JWKS), all owned
// by one ctrl::Manager with /metrics, /healthz and /readyz. A library so
// integration tests run the real wiring in-process with a fake clock;
// verifier_main.cc only adds flags, config and signals.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/http_server.h"
#include "verifier/authenticator.h"
#include "verifier/options.h"

namespace st::verifier {

struct VerifierDeps {
  ctrl::Client* client = nullptr;  // required; must outlive the verifier
  ctrl::Clock* clock = nullptr;    // nullptr: the real clock
  // For /metrics and the probes; nullptr: a small Beast server.
  std::function<std::unique_ptr<ctrl::HttpServer>()> probeServerFactory;
};

class Verifier {
 public:
  // Builds everything; nothing talks to the API until run(). Errors:
  // InvalidArgument for bad options or TLS files.
  static ctrl::StatusOr<std::unique_ptr<Verifier>> create(const VerifierOptions& options,
                                                          VerifierDeps deps);
  ~Verifier();
  Verifier(const Verifier&) = delete;
  Verifier& operator=(const Verifier&) = delete;

  // Runs until `stop` (OK) or a fatal error (the serving address cannot be
  // bound, caches never sync). Call once.
  ctrl::Status run(std::stop_token stop);

  // For tests and probes. Thread-safe.
  bool synced() const;
  bool ready() const;  // synced and a JWKS is loaded
  int port() const;    // the serving port, 0 until listening
  int metricsPort() const;
  int probePort() const;
  const Authenticator& authenticator() const;
  // Last Used status patches sent so far (0 when disabled).
  uint64_t lastUsedWrites() const;

 private:
  struct Impl;
  explicit Verifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace st::verifier
