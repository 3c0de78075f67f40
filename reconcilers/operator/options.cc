#include "operator/options.h"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdlib>
#include <set>

#include "policy/lifetime.h"

namespace st {
namespace {

// A namespace name: an RFC 1123 label.
bool isNamespaceName(const std::string& s) {
  if (s.empty() || s.size() > 63 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

ctrl::Status checkWatchNamespaces(const std::vector<std::string>& namespaces) {
  const auto invalid = [](const std::string& why) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "--watch-namespace: " + why);
  };
  if (namespaces.size() > kMaxWatchNamespaces) {
    return invalid("at most " + std::to_string(kMaxWatchNamespaces) + " namespaces");
  }
  std::set<std::string> seen;
  for (const std::string& ns : namespaces) {
    // The value is quoted only when it is short enough to be a name at all.
    if (!isNamespaceName(ns)) {
      return invalid(ns.size() > 63 ? "a namespace name is at most 63 characters"
                                    : "\"" + ns + "\" is not a namespace name");
    }
    if (!seen.insert(ns).second) return invalid("\"" + ns + "\" is given twice");
  }
  return ctrl::Status::ok();
}

// A duration flag ("90d", "5m", "1d12h"; "0" when `zeroAllowed`).
ctrl::Status parseKeyDuration(const char* flag, const std::string& text, bool zeroAllowed,
                              std::chrono::seconds& out) {
  if (text == "0") {
    if (zeroAllowed) {
      out = std::chrono::seconds::zero();
      return ctrl::Status::ok();
    }
  }
  auto parsed = parseDuration(text);
  if (!parsed.isOk()) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        std::string(flag) + ": " + parsed.status().message());
  }
  if (parsed->count() <= 0 && !zeroAllowed) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, std::string(flag) + ": must be positive");
  }
  out = *parsed;
  return ctrl::Status::ok();
}

}  // namespace

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
  // Split here rather than by CLI11, which would drop empty items silently.
  std::vector<std::string> watchLists;
  app.add_option("--watch-namespace", watchLists,
                 "Watch only these namespaces, comma-separated or repeated (default: all "
                 "namespaces)");
  app.add_flag("--leader-elect", o.leaderElect, "Run with leader election on a Lease");
  app.add_option("--leader-election-id", o.leaderElectionId, "Name of the leader Lease");
  app.add_option("--metrics-bind-address", o.metricsBindAddress,
                 "Address of /metrics, e.g. :8080; 0 disables")
      ->capture_default_str();
  app.add_flag("--metrics-secure", o.metricsSecure,
               "Serve /metrics over HTTPS to callers allowed to get /metrics (TokenReview and "
               "SubjectAccessReview); --metrics-secure=false serves plain HTTP to anyone")
      ->capture_default_str();
  app.add_option("--metrics-cert-dir", o.metricsCertDir,
                 "Directory with the metrics serving certificate and key (default: a "
                 "self-signed certificate made at start)");
  app.add_option("--metrics-cert-name", o.metricsCertName, "Certificate file in --metrics-cert-dir")
      ->capture_default_str();
  app.add_option("--metrics-key-name", o.metricsKeyName, "Key file in --metrics-cert-dir")
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
  std::string rotationInterval = "90d";
  std::string publishDelay = "5m";
  app.add_option("--signing-key-rotation-interval", rotationInterval,
                 "How long a signing key signs before the next one takes over, e.g. 90d or "
                 "2160h; 0 rotates only on request (kubectl servicetoken rotate-signing-key)")
      ->capture_default_str();
  app.add_option("--signing-key-publish-delay", publishDelay,
                 "How long a new signing key is in the JWKS before it signs, so verifiers "
                 "that cache the JWKS know it first")
      ->capture_default_str();
  app.add_option("--signing-key-remints-per-second", o.signingKeyRemintsPerSecond,
                 "Re-mints per second after rotate-signing-key --retire-old withdrew a key")
      ->check(CLI::Range(0.1, 1000.0))
      ->capture_default_str();
  app.add_option("--graceful-shutdown-timeout", o.gracefulShutdownSeconds,
                 "Seconds to wait for work in flight on SIGTERM")
      ->check(CLI::Range(1, 600));
  app.add_option("--watch-idle-timeout", o.watchIdleTimeoutSeconds,
                 "Seconds a watch may deliver neither event nor bookmark before it is dropped as "
                 "half-open and resumed (kube-apiserver bookmarks about once a minute); 0 never")
      ->check(CLI::Range(0, 3600))
      ->capture_default_str();
  app.add_option("--http-transport", o.httpTransport,
                 "HTTP client for requests and watches: beast (on the calling thread) or "
                 "cpprest (cpprestsdk's continuations)")
      ->check(CLI::IsMember({"beast", "cpprest"}))
      ->capture_default_str();
  app.add_option("--probe", o.probeUrl,
                 "Only GET this http:// URL and exit 0 on a 2xx answer (for `helm test`)");
  // Not in --help (empty group): moves the wall clock for benchmarks
  // (hack/bench-convergence.sh's rotation storm); never for production.
  app.add_option("--clock-skew", o.clockSkew, "Benchmarks only: wall clock this far ahead")
      ->group("");
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
  if (parsed.exit) return parsed;
  for (const std::string& list : watchLists) {
    for (size_t begin = 0;;) {
      const size_t comma = list.find(',', begin);
      o.watchNamespaces.push_back(list.substr(begin, comma - begin));
      if (comma == std::string::npos || o.watchNamespaces.size() > kMaxWatchNamespaces) break;
      begin = comma + 1;
    }
  }
  if (auto s = checkWatchNamespaces(o.watchNamespaces); !s.isOk()) return s;
  if (auto s = parseKeyDuration("--signing-key-rotation-interval", rotationInterval, true,
                                o.signingKeyRotationInterval);
      !s.isOk()) {
    return s;
  }
  if (auto s = parseKeyDuration("--signing-key-publish-delay", publishDelay, true,
                                o.signingKeyPublishDelay);
      !s.isOk()) {
    return s;
  }
  if (o.signingKeyRotationInterval.count() > 0 &&
      o.signingKeyRotationInterval <= o.signingKeyPublishDelay) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        "--signing-key-rotation-interval: must be longer than "
                        "--signing-key-publish-delay");
  }
  if (!o.metricsSecure && !o.metricsCertDir.empty()) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        "--metrics-cert-dir: needs --metrics-secure (the default)");
  }
  return parsed;
}

}  // namespace st
