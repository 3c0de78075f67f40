// rest_client_requests_total{code,method,host} counts every attempt, with
// client-go's "<error>" code when there was no answer.
#include "controller/metrics.h"

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"

namespace sttest {
namespace {

// The counter's value for these labels, 0 when the series does not exist.
double requestCount(const std::string& code, const std::string& method, const std::string& host) {
  for (const auto& family : ctrl::metricsRegistry()->Collect()) {
    if (family.name != "rest_client_requests_total") continue;
    for (const auto& metric : family.metric) {
      std::map<std::string, std::string> labels;
      for (const auto& label : metric.label) labels[label.name] = label.value;
      if (labels["code"] == code && labels["method"] == method && labels["host"] == host) {
        return metric.counter.value;
      }
    }
  }
  return 0;
}

TEST(RequestMetricsTest, CountsEachAttemptByCodeMethodAndHost) {
  JumpClock clock;
  ctrl::RestConfig config;
  config.server = "https://metrics-test.local:6443/";  // a host no other test uses
  ctrl::ClientOptions options;
  options.maxReadAttempts = 2;
  auto tc = makeTestClient(clock, config, options);
  const std::string host = "metrics-test.local:6443";
  // Deltas: the registry is process-wide (and tests may repeat).
  const double get503 = requestCount("503", "GET", host);
  const double get200 = requestCount("200", "GET", host);
  const double post201 = requestCount("201", "POST", host);
  const double deleteError = requestCount("<error>", "DELETE", host);
  const double put200 = requestCount("200", "PUT", host);

  tc.fake->pushResponse(503, "unavailable");
  tc.fake->pushResponse(200, R"({"kind":"ConfigMap"})");
  ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  tc.fake->pushResponse(201, R"({"kind":"ConfigMap"})");
  ASSERT_TRUE(tc.client->create(ctrl::resources::configMap(), "ns", ctrl::Json::object()).isOk());
  tc.fake->pushError(ctrl::Status(ctrl::Code::kUnavailable, "connection refused"));
  ASSERT_FALSE(tc.client->remove(ctrl::resources::configMap(), "ns", "cm").isOk());
  tc.fake->pushStream({});
  ASSERT_TRUE(tc.client
                  ->watch(ctrl::resources::configMap(), "ns", {},
                          [](const ctrl::WatchEvent&) { return true; }, {})
                  .isOk());

  EXPECT_EQ(requestCount("503", "GET", host) - get503, 1);
  EXPECT_EQ(requestCount("200", "GET", host) - get200, 2);  // the retried get and the watch
  EXPECT_EQ(requestCount("201", "POST", host) - post201, 1);
  EXPECT_EQ(requestCount("<error>", "DELETE", host) - deleteError, 1);
  EXPECT_EQ(requestCount("200", "PUT", host) - put200, 0);
}

}  // namespace
}  // namespace sttest
