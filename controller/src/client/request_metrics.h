// rest_client_requests_total{code,method,host}, controller-runtime's (client-go's)
// series, in the shared registry (controller/metrics.h).
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

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
  prometheus::Counter& counter(std::string_view method, int httpStatus);

  prometheus::Family<prometheus::Counter>& family_;
  std::string host_;
  // The series already looked up, by (method, status): a request costs a
  // hash lookup instead of building the label map and hashing it in the
  // family (a few allocations per request, 30,000 requests per 10,000
  // first mints). Counters live as long as the family (never removed).
  std::mutex mu_;
  std::unordered_map<std::string, prometheus::Counter*> counters_;
};

// The host[:port] part of a server URL: "https://h:6443/x" -> "h:6443".
std::string hostLabel(std::string_view serverUrl);

}  // namespace ctrl::client
