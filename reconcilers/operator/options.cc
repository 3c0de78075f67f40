#include "operator/options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace st {

ctrl::StatusOr<ParsedOptions> parseOptions(int argc, const char* const* argv) {
  ParsedOptions parsed;
  OperatorOptions& o = parsed.options;
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') o.ns = ns;

  CLI::App app{
      "servicetoken-operator: mints ServiceTokens exactly once into Secrets and rotates them",
      "servicetoken-operator"};
  app.set_version_flag("--version", "servicetoken-operator 0.1.0");
  app.add_option("--kubeconfig", o.kubeconfig,
                 "Path to a kubeconfig; default $KUBECONFIG, in-cluster config, ~/.kube/config");
  app.add_option("--context", o.context, "kubeconfig context to use (default: current-context)");
  app.add_option("--namespace", o.ns,
                 "The operator's own namespace: signing keys, JWKS and leader Lease "
                 "(default: $POD_NAMESPACE or servicetoken-system)");
  app.add_option("--watch-namespace", o.watchNamespace,
                 "Watch only this namespace (default: all namespaces)");
  app.add_flag("--leader-elect", o.leaderElect, "Run with leader election on a Lease");
  app.add_option("--leader-election-id", o.leaderElectionId, "Name of the leader Lease");
  app.add_option("--metrics-bind-address", o.metricsBindAddress,
                 "Address of /metrics, e.g. :8080; 0 disables")
      ->capture_default_str();
  app.add_option("--health-probe-bind-address", o.healthProbeBindAddress,
                 "Address of /healthz and /readyz; 0 disables")
      ->capture_default_str();
  app.add_option("--log-format", o.logFormat, "json or text")
      ->check(CLI::IsMember({"json", "text"}))
      ->capture_default_str();
  app.add_option("--log-level", o.logLevel, "error, warn, info, debug, trace, or 0-10")
      ->capture_default_str();
  app.add_option("--workers", o.workers, "Concurrent ServiceToken reconciles")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  app.add_option("--kube-api-qps", o.qps, "Client-side request rate limit; 0 disables")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--kube-api-burst", o.burst, "Client-side burst")->check(CLI::NonNegativeNumber);
  app.add_option("--issuer-url", o.issuerUrl, "The tokens' iss claim")->capture_default_str();
  app.add_option("--audience", o.audience, "The tokens' aud claim")->capture_default_str();
  app.add_option("--signing-key-secret", o.signingKeySecret,
                 "Secret (in --namespace) holding the signing keys")
      ->capture_default_str();
  app.add_option("--signing-algorithm", o.signingAlgorithm, "EdDSA (Ed25519) or ES256")
      ->check(CLI::IsMember({"EdDSA", "ES256"}))
      ->capture_default_str();
  app.add_option("--jwks-configmap", o.jwksConfigMap, "ConfigMap publishing the JWKS")
      ->capture_default_str();
  app.add_option("--graceful-shutdown-timeout", o.gracefulShutdownSeconds,
                 "Seconds to wait for work in flight on SIGTERM")
      ->check(CLI::Range(1, 600));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.exit = true;
    parsed.output = app.help();
  } catch (const CLI::CallForVersion&) {
    parsed.exit = true;
    parsed.output = app.version() + "\n";
  } catch (const CLI::ParseError& e) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, e.what());
  }
  return parsed;
}

}  // namespace st
