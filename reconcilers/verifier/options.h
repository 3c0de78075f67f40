// The servicetoken-verifier command line (PRODUCT.md §6, §7).
#pragma once

#include <cstddef>
#include <string>

#include "controller/status.h"

namespace st::verifier {

struct VerifierOptions {
  std::string kubeconfig;  // "" = $KUBECONFIG, in-cluster, then ~/.kube/config
  std::string context;
  std::string ns = "servicetoken-system";  // where the JWKS ConfigMap lives
  std::string watchNamespace;              // "" = all namespaces
  std::string bindAddress = ":8443";       // forward-auth, TokenReview, discovery
  std::string tlsCertFile;                 // with tlsKeyFile: HTTPS; neither: HTTP
  std::string tlsKeyFile;
  std::string issuerUrl = "https://servicetoken.dev";
  std::string audience = "servicetoken.dev";  // SCIM tokens: audience + "/scim"
  std::string jwksConfigMap = "servicetoken-jwks";
  int leewaySeconds = 30;  // 0..60
  std::string metricsBindAddress = ":8080";
  std::string healthProbeBindAddress = ":8081";
  std::string logFormat = "json";
  std::string logLevel = "info";
  int threads = 0;                      // serving threads; 0 = one per CPU
  size_t verifiedCacheSize = 100'000;   // 0 disables the verified-token cache
  bool recordLastUsed = true;           // status.lastUsedTime (last_used.h)
  double lastUsedWritesPerSecond = 50;  // 0: no limit
  double qps = 0;
  int burst = 0;
  int gracefulShutdownSeconds = 30;
};

struct ParsedVerifierOptions {
  VerifierOptions options;
  bool exit = false;  // --help or --version was handled
  int exitCode = 0;
  std::string output;
};

// Parses argv. Errors: InvalidArgument with CLI11's message (names the flag).
ctrl::StatusOr<ParsedVerifierOptions> parseVerifierOptions(int argc, const char* const* argv);

}  // namespace st::verifier
