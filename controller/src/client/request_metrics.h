// rest_client_requests_total{code,method,host}, controller-runtime's (client-go's)
// series, in the shared registry (controller/metrics.h).
#pragma once

#include <string>
#include <string_view>

namespace prometheus {
class Counter;
template <typename T>
class Family;
}  // namespace prometheus

namespace ctrl::client {

class RequestMetrics {
 public:
  // `host` is the label value for every request of this client, e.g.
  // "127.0.0.1:6443" (see hostLabel()).
  explicit RequestMetrics(std::string host);

  // Counts one request. `httpStatus` 0 means no answer (transport error),
  // counted with code "<error>" as client-go does. Thread-safe.
  void count(std::string_view method, int httpStatus);

 private:
  prometheus::Family<prometheus::Counter>& family_;
  std::string host_;
};

// The host[:port] part of a server URL: "https://h:6443/x" -> "h:6443".
std::string hostLabel(std::string_view serverUrl);

}  // namespace ctrl::client
