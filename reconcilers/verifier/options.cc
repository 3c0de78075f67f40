#include "verifier/options.h"

#include <CLI/CLI.hpp>
#include <cstdlib>

namespace st::verifier {

ctrl::StatusOr<ParsedVerifierOptions> parseVerifierOptions(int argc, const char* const* argv) {
  ParsedVerifierOptions parsed;
  VerifierOptions& o = parsed.options;
  if (const char* ns = std::getenv("POD_NAMESPACE"); ns != nullptr && *ns != '\0') o.ns = ns;

  CLI::App app{
      "servicetoken-verifier: verifies ServiceTokens for proxies (forward-auth), "
      "kube-apiserver (TokenReview) and offline consumers (OIDC discovery)",
      "servicetoken-verifier"};
  app.set_version_flag("--version", "servicetoken-verifier 0.1.0");
  app.add_option("--kubeconfig", o.kubeconfig,
                 "Path to a kubeconfig; default $KUBECONFIG, in-cluster config, ~/.kube/config");
  app.add_option("--context", o.context, "kubeconfig context to use (default: current-context)");
  app.add_option("--namespace", o.ns,
                 "Namespace of the JWKS ConfigMap (the operator's namespace; default "
                 "$POD_NAMESPACE or servicetoken-system)");
  app.add_option("--watch-namespace", o.watchNamespace,
                 "Watch ServiceTokens and ServiceUsers in this namespace only (default: all)");
  app.add_option("--bind-address", o.bindAddress,
                 "Address of /v1/authorize, the TokenReview API and OIDC discovery")
      ->capture_default_str();
  app.add_option("--tls-cert-file", o.tlsCertFile,
                 "PEM certificate chain; with --tls-private-key-file serves HTTPS and reloads "
                 "both files when they change. Without: plain HTTP");
  app.add_option("--tls-private-key-file", o.tlsKeyFile, "PEM private key of --tls-cert-file");
  app.add_option("--issuer-url", o.issuerUrl, "The tokens' iss claim, and the discovery issuer")
      ->capture_default_str();
  app.add_option("--audience", o.audience,
                 "The aud claim of API tokens; SCIM-only tokens carry <audience>/scim")
      ->capture_default_str();
  app.add_option("--jwks-configmap", o.jwksConfigMap,
                 "ConfigMap (in --namespace) the operator publishes the JWKS in")
      ->capture_default_str();
  app.add_option("--leeway", o.leewaySeconds, "Clock skew tolerated for exp, nbf and iat (seconds)")
      ->check(CLI::Range(0, 60))
      ->capture_default_str();
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
  app.add_option("--threads", o.threads, "Serving threads; 0: one per CPU")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  app.add_option("--verified-cache-size", o.verifiedCacheSize,
                 "Tokens whose signature check is cached (by token hash); 0 disables")
      ->capture_default_str();
  app.add_option("--record-last-used", o.recordLastUsed,
                 "Write status.lastUsedTime of accepted tokens (at most once a minute each)")
      ->capture_default_str();
  app.add_option("--last-used-writes-per-second", o.lastUsedWritesPerSecond,
                 "Rate limit of the Last Used status writes; 0 disables the limit")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  app.add_option("--kube-api-qps", o.qps, "Client-side request rate limit; 0 disables")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--kube-api-burst", o.burst, "Client-side burst")->check(CLI::NonNegativeNumber);
  app.add_option("--graceful-shutdown-timeout", o.gracefulShutdownSeconds,
                 "Seconds to wait for work in flight on SIGTERM")
      ->check(CLI::Range(1, 600));
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.exit = true;
    parsed.output = app.help();
    return parsed;
  } catch (const CLI::CallForVersion&) {
    parsed.exit = true;
    parsed.output = app.version() + "\n";
    return parsed;
  } catch (const CLI::ParseError& e) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, e.what());
  }
  if (o.tlsCertFile.empty() != o.tlsKeyFile.empty()) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        "--tls-cert-file and --tls-private-key-file go together");
  }
  if (o.issuerUrl.empty() || o.audience.empty()) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        "--issuer-url and --audience must not be empty");
  }
  return parsed;
}

}  // namespace st::verifier
