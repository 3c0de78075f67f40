#include "client/request_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include "controller/metrics.h"

namespace ctrl::client {
namespace {

prometheus::Family<prometheus::Counter>& requestsFamily() {
  // Registered once per process: the registry merges same-named families, but
  // holding the reference avoids a registry lookup per client.
  static auto& family =
      prometheus::BuildCounter()
          .Name("rest_client_requests_total")
          .Help("Number of HTTP requests, partitioned by status code, method, and host.")
          .Register(*metricsRegistry());
  return family;
}

}  // namespace

RequestMetrics::RequestMetrics(std::string host)
    : family_(requestsFamily()), host_(std::move(host)) {}

void RequestMetrics::count(std::string_view method, int httpStatus) {
  counter(method, httpStatus).Increment();
}

prometheus::Counter& RequestMetrics::counter(std::string_view method, int httpStatus) {
  const std::string code = httpStatus == 0 ? std::string("<error>") : std::to_string(httpStatus);
  std::string key;
  key.reserve(method.size() + 1 + code.size());
  key.append(method).append(1, ' ').append(code);
  std::lock_guard lock(mu_);
  auto [it, added] = counters_.try_emplace(std::move(key), nullptr);
  if (added) {
    it->second = &family_.Add({{"code", code}, {"method", std::string(method)}, {"host", host_}});
  }
  return *it->second;
}

std::string hostLabel(std::string_view serverUrl) {
  if (auto scheme = serverUrl.find("://"); scheme != std::string_view::npos) {
    serverUrl.remove_prefix(scheme + 3);
  }
  if (auto slash = serverUrl.find('/'); slash != std::string_view::npos) {
    serverUrl = serverUrl.substr(0, slash);
  }
  return std::string(serverUrl);
}

}  // namespace ctrl::client
