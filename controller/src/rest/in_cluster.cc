// In-cluster configuration, like client-go's rest.InClusterConfig: the API
// server from the service environment variables, the service-account CA and
// the projected token, re-read at most once a minute so rotation works.
#include <chrono>
#include <cstdlib>
#include <memory>
#include <string>

#include "controller/rest_config.h"
#include "rest/file_reader.h"
#include "rest/pem.h"
#include "rest/token_source.h"

namespace ctrl {
namespace {

constexpr auto kTokenRefreshPeriod = std::chrono::minutes(1);
constexpr size_t kMaxCaBytes = 1 << 20;

std::string envOrEmpty(const char* name) {
  const char* value = std::getenv(name);
  return value == nullptr ? std::string() : std::string(value);
}

}  // namespace

StatusOr<RestConfig> inClusterConfig(const InClusterOptions& options) {
  const std::string host = envOrEmpty("KUBERNETES_SERVICE_HOST");
  const std::string port = envOrEmpty("KUBERNETES_SERVICE_PORT");
  if (host.empty() || port.empty()) {
    return errorStatus(Code::kNotFound,
                       "not running in a cluster: KUBERNETES_SERVICE_HOST and "
                       "KUBERNETES_SERVICE_PORT must be set");
  }
  RestConfig config;
  // An IPv6 address needs brackets in a URL (net.JoinHostPort in client-go).
  const bool ipv6 = host.find(':') != std::string::npos;
  config.server = "https://" + (ipv6 ? "[" + host + "]" : host) + ":" + port;

  auto ca = rest::readFileLimited(options.caFile, kMaxCaBytes);
  if (!ca.isOk()) return ca.status().withContext("in-cluster CA");
  Status pem = rest::checkCertificatesPem(*ca);
  if (!pem.isOk()) return pem.withContext("in-cluster CA " + options.caFile);
  config.caPem = std::move(ca).value();

  const Clock& clock = options.clock != nullptr ? *options.clock : RealClock::instance();
  auto source =
      std::make_shared<rest::FileTokenSource>(options.tokenFile, kTokenRefreshPeriod, clock);
  Status loaded = source->load();
  if (!loaded.isOk()) return loaded.withContext("in-cluster token");
  config.bearerToken = rest::FileTokenSource::asFunction(std::move(source));
  return config;
}

}  // namespace ctrl
