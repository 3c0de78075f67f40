// The servicetoken-operator command line (PRODUCT.md §6).
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "controller/status.h"

namespace st {

struct OperatorOptions {
  std::string kubeconfig;  // "" = $KUBECONFIG, in-cluster, then ~/.kube/config
  std::string context;
  std::string ns = "servicetoken-system";    // own namespace: keys, JWKS, Lease
  std::vector<std::string> watchNamespaces;  // empty = all namespaces
  bool leaderElect = false;
  std::string leaderElectionId = "servicetoken-operator";
  std::string metricsBindAddress = ":8080";
  // /metrics over HTTPS, only for callers the API server authenticates
  // (TokenReview) and authorizes for `get` on /metrics (SubjectAccessReview).
  bool metricsSecure = true;
  // tls.crt and tls.key for the metrics server; "" = a self-signed
  // certificate made at start.
  std::string metricsCertDir;
  std::string metricsCertName = "tls.crt";
  std::string metricsKeyName = "tls.key";
  std::string healthProbeBindAddress = ":8081";
  std::string logFormat = "json";
  std::string logLevel = "info";
  int workers = 8;
  double qps = 0;  // 0: no client-side limit (rely on API Priority and Fairness)
  int burst = 0;
  std::string issuerUrl = "https://servicetoken.dev";
  std::string audience = "servicetoken.dev";
  std::string signingKeySecret = "servicetoken-signing-keys";
  std::string signingAlgorithm = "EdDSA";  // or ES256
  std::string jwksConfigMap = "servicetoken-jwks";
  // Signing-key rotation (authority/key_rotation_policy.h): the active key
  // signs for this long (0: only on request), and a new key is in the JWKS
  // for publishDelay before it signs.
  std::chrono::seconds signingKeyRotationInterval = std::chrono::hours(24 * 90);
  std::chrono::seconds signingKeyPublishDelay = std::chrono::minutes(5);
  // Re-mints after retire-old, per second (a token bucket of this burst).
  double signingKeyRemintsPerSecond = 10;
  int gracefulShutdownSeconds = 30;
  // A watch that delivers no event and no bookmark for this long is dropped
  // as half-open and resumed on a new connection; 0 never drops one.
  int watchIdleTimeoutSeconds = 180;
  // The HTTP client for requests and watches: "beast" (default: the request
  // or watch runs on the calling thread) or "cpprest" (cpprestsdk's task
  // continuations, as before 0.2; kept as a fallback).
  std::string httpTransport = "beast";
  // When set: GET this URL, exit 0 on 2xx, and do nothing else (probe.h).
  std::string probeUrl;
  // Hidden, for benchmarks only (--clock-skew, e.g. "61d"): the operator's
  // wall clock runs this far ahead, so a rotation storm needs no wait.
  std::string clockSkew;
};

struct ParsedOptions {
  OperatorOptions options;
  bool exit = false;  // --help or --version was handled
  int exitCode = 0;
  std::string output;  // what to print before exiting
};

// The most namespaces --watch-namespace takes (one informer per kind each).
inline constexpr size_t kMaxWatchNamespaces = 64;

// Parses argv. Errors: InvalidArgument with CLI11's message, or ours, naming
// the flag: e.g. a --watch-namespace entry that is not a namespace name.
ctrl::StatusOr<ParsedOptions> parseOptions(int argc, const char* const* argv);

}  // namespace st
