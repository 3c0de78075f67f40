#include "operator/metrics_serving.h"

#include <unistd.h>

#include <memory>
#include <string>
#include <vector>

#include "controller/log.h"
#include "controller/metrics_auth.h"
#include "controller/serving_cert.h"

namespace st {
namespace {

// Self-signed certificates live as long as the process; scrapers skip
// verification or pin the certificate, so a year is plenty.
constexpr auto kSelfSignedValidity = std::chrono::hours(24 * 365);

std::vector<std::string> selfSignedHosts() {
  std::vector<std::string> hosts{"localhost", "127.0.0.1", "::1"};
  char name[256] = {};
  if (gethostname(name, sizeof name - 1) == 0 && name[0] != '\0') hosts.emplace_back(name);
  return hosts;
}

ctrl::StatusOr<ctrl::HttpServerTlsSource> servingCertificate(const OperatorOptions& options,
                                                             ctrl::Clock& clock) {
  if (!options.metricsCertDir.empty()) {
    ctrl::CertificateDirOptions dir;
    dir.dir = options.metricsCertDir;
    dir.certName = options.metricsCertName;
    dir.keyName = options.metricsKeyName;
    auto source = ctrl::watchCertificateDir(std::move(dir), clock);
    if (!source.isOk()) return source.status().withContext("--metrics-cert-dir");
    return source;
  }
  auto tls =
      ctrl::makeSelfSignedCertificate(selfSignedHosts(), clock.wallNow(), kSelfSignedValidity);
  // A made-up host name may not be a valid DNS name: fall back to the fixed ones.
  if (!tls.isOk() && tls.status().code() == ctrl::Code::kInvalidArgument) {
    tls = ctrl::makeSelfSignedCertificate({"localhost", "127.0.0.1", "::1"}, clock.wallNow(),
                                          kSelfSignedValidity);
  }
  if (!tls.isOk()) return tls.status().withContext("making a self-signed metrics certificate");
  auto material = std::make_shared<const ctrl::HttpServerTls>(std::move(tls).value());
  return ctrl::HttpServerTlsSource([material] { return material; });
}

}  // namespace

ctrl::Status configureMetricsServing(const OperatorOptions& options, const OperatorDeps& deps,
                                     ctrl::Clock& clock, ctrl::ManagerOptions& manager) {
  if (options.metricsBindAddress == "0") return ctrl::Status::ok();
  if (!options.metricsSecure) {
    ctrl::log::info("Serving metrics over plain HTTP to anyone who can reach them",
                    {{"address", options.metricsBindAddress}});
    return ctrl::Status::ok();
  }
  if (!deps.httpsServerFactory) {
    return ctrl::Status(ctrl::Code::kInvalidArgument,
                        "--metrics-secure needs OperatorDeps.httpsServerFactory");
  }
  auto tls = servingCertificate(options, clock);
  if (!tls.isOk()) return tls.status();
  manager.metricsServerFactory = [factory = deps.httpsServerFactory, source = *tls] {
    return factory(source);
  };
  manager.metricsAuthorizer = ctrl::makeDelegatingAuthorizer(*deps.client, clock);
  ctrl::log::info(
      "Serving metrics over HTTPS to authorized callers",
      {{"address", options.metricsBindAddress},
       {"certificate", options.metricsCertDir.empty() ? "self-signed" : options.metricsCertDir}});
  return ctrl::Status::ok();
}

}  // namespace st
