#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <future>

#include "controller/manager.h"
#include "controller/metrics.h"
#include "controller/metrics_auth.h"
#include "manager_fakes.h"

namespace mgrtest {
namespace {

using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

class ManagerHttpTest : public ::testing::Test {
 protected:
  ctrl::ManagerOptions options(std::string metrics, std::string probes) {
    ctrl::ManagerOptions opts;
    opts.metricsBindAddress = std::move(metrics);
    opts.healthProbeBindAddress = std::move(probes);
    opts.httpServerFactory = servers_.factory();
    return opts;
  }
  std::future<ctrl::Status> startAsync(ctrl::Manager& mgr) {
    return std::async(std::launch::async,
                      [&mgr, token = stop_.get_token()] { return mgr.start(token); });
  }
  ctrl::Status stopAndWait(std::future<ctrl::Status>& result) {
    stop_.request_stop();
    if (result.wait_for(kWait) != std::future_status::ready) {
      return ctrl::errorStatus(ctrl::Code::kTimeout, "start() did not return");
    }
    return result.get();
  }

  FakeHttpServers servers_;
  std::shared_ptr<Journal> journal_ = std::make_shared<Journal>();
  std::stop_source stop_;
};

TEST_F(ManagerHttpTest, MetricsAndProbesOnTheirOwnServers) {
  ctrl::Manager mgr(options(":8080", "127.0.0.1:8081"));
  ASSERT_TRUE(mgr.addHealthzCheck("transport", [] { return ctrl::Status::ok(); }).isOk());
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start cache"));  // servers start before runnables
  ASSERT_EQ(servers_.count(), 2u);
  EXPECT_EQ(servers_.server(0).address, ":8080");
  EXPECT_THAT(servers_.paths(0), ElementsAre("/metrics"));
  EXPECT_EQ(servers_.server(1).address, "127.0.0.1:8081");
  EXPECT_THAT(servers_.paths(1), ElementsAre("/healthz", "/healthz/ping", "/healthz/transport",
                                             "/readyz", "/readyz/informer-sync"));
  EXPECT_EQ(mgr.metricsPort(), servers_.server(0).port);
  EXPECT_EQ(mgr.probePort(), servers_.server(1).port);
  EXPECT_NE(mgr.metricsPort(), 0);

  ASSERT_TRUE(stopAndWait(result).isOk());
  EXPECT_TRUE(servers_.server(0).stopped);
  EXPECT_TRUE(servers_.server(1).stopped);
  EXPECT_EQ(mgr.probePort(), 0);
}

TEST_F(ManagerHttpTest, EqualAddressesShareOneServer) {
  ctrl::Manager mgr(options(":9090", ":9090"));
  stop_.request_stop();  // servers start (and stop) all the same
  ASSERT_TRUE(mgr.start(stop_.get_token()).isOk());
  ASSERT_EQ(servers_.count(), 1u);
  EXPECT_THAT(servers_.paths(0), ElementsAre("/healthz", "/healthz/ping", "/metrics", "/readyz",
                                             "/readyz/informer-sync"));
}

TEST_F(ManagerHttpTest, PortZeroAddressesGetTwoServers) {
  ctrl::Manager mgr(options("127.0.0.1:0", "127.0.0.1:0"));
  stop_.request_stop();
  ASSERT_TRUE(mgr.start(stop_.get_token()).isOk());
  ASSERT_EQ(servers_.count(), 2u);
  EXPECT_THAT(servers_.paths(0), ElementsAre("/metrics"));
}

TEST_F(ManagerHttpTest, AddressZeroDisablesAServer) {
  ctrl::Manager mgr(options("0", ":8081"));
  stop_.request_stop();
  ASSERT_TRUE(mgr.start(stop_.get_token()).isOk());
  ASSERT_EQ(servers_.count(), 1u);
  EXPECT_EQ(servers_.server(0).address, ":8081");
  EXPECT_EQ(mgr.metricsPort(), 0);
}

TEST_F(ManagerHttpTest, EnabledServerWithoutFactoryIsInvalid) {
  ctrl::ManagerOptions opts;
  opts.metricsBindAddress = ":8080";
  ctrl::Manager mgr(std::move(opts));
  stop_.request_stop();
  EXPECT_EQ(mgr.start(stop_.get_token()).code(), ctrl::Code::kInvalidArgument);
}

TEST_F(ManagerHttpTest, ServerThatCannotListenFailsStartBeforeAnyRunnable) {
  servers_.failNextStart(ctrl::errorStatus(ctrl::Code::kUnavailable, "address in use"));
  ctrl::Manager mgr(options(":8080", "0"));
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  const ctrl::Status status = mgr.start(stop_.get_token());  // returns without a stop
  EXPECT_EQ(status.code(), ctrl::Code::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("address in use"));
  EXPECT_FALSE(journal_->contains("start cache"));
  EXPECT_TRUE(servers_.server(0).stopped);
}

TEST_F(ManagerHttpTest, ReadyzFailsUntilCachesSyncAndWithholdsReasons) {
  ctrl::Manager mgr(options("0", ":8081"));
  auto informer = std::make_shared<FakeInformer>("informer", journal_);
  mgr.add(informer);
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, true));
  auto result = startAsync(mgr);
  ASSERT_TRUE(informer->waitForPolls(1));

  const ctrl::HttpServerResponse notReady = servers_.get(0, "/readyz");
  EXPECT_EQ(notReady.status, 500);
  EXPECT_EQ(notReady.body, "[-]informer-sync failed: reason withheld\nreadyz check failed\n");
  EXPECT_EQ(servers_.get(0, "/readyz/informer-sync").status, 500);
  const ctrl::HttpServerResponse healthy = servers_.get(0, "/healthz");
  EXPECT_EQ(healthy.status, 200);
  EXPECT_EQ(healthy.body, "ok");

  informer->setSynced();
  ASSERT_TRUE(journal_->waitFor("start controller"));  // started once synced
  ASSERT_TRUE(mgr.synced());
  const ctrl::HttpServerResponse ready = servers_.get(0, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ok");
  ASSERT_TRUE(stopAndWait(result).isOk());
}

TEST_F(ManagerHttpTest, FailingHealthzCheckIsListedWithoutItsReason) {
  ctrl::Manager mgr(options("0", ":8081"));
  ASSERT_TRUE(mgr.addHealthzCheck(
                     "apiserver",
                     [] { return ctrl::errorStatus(ctrl::Code::kUnavailable, "secret detail"); })
                  .isOk());
  EXPECT_EQ(mgr.addHealthzCheck("apiserver", [] { return ctrl::Status::ok(); }).code(),
            ctrl::Code::kInvalidArgument);
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start cache"));  // servers start before runnables
  const ctrl::HttpServerResponse response = servers_.get(0, "/healthz");
  EXPECT_EQ(response.status, 500);
  EXPECT_EQ(response.body,
            "[+]ping ok\n[-]apiserver failed: reason withheld\nhealthz check failed\n");
  EXPECT_THAT(response.body, Not(HasSubstr("secret detail")));
  EXPECT_EQ(servers_.get(0, "/healthz/ping").body, "ok");
  ASSERT_TRUE(stopAndWait(result).isOk());
}

// Allows one token, refuses every other.
class OneTokenAuthorizer final : public ctrl::RequestAuthorizer {
 public:
  ctrl::StatusOr<ctrl::AccessReview> authorize(std::string_view authorization,
                                               std::string_view verb,
                                               std::string_view path) override {
    if (authorization == "Bearer good" && verb == "get" && path == "/metrics") {
      return ctrl::AccessReview{ctrl::AccessDecision::kAllowed, "prometheus"};
    }
    if (authorization == "Bearer other") {
      return ctrl::AccessReview{ctrl::AccessDecision::kForbidden, "other"};
    }
    return ctrl::AccessReview{};
  }
};

TEST_F(ManagerHttpTest, AuthorizedMetricsUseTheirOwnServerAndAnswerOnlyAllowedCallers) {
  prometheus::BuildGauge()
      .Name("mgrtest_authorized_probe")
      .Help("A gauge only this test registers")
      .Register(*ctrl::metricsRegistry())
      .Add({})
      .Set(7);
  FakeHttpServers secure;
  ctrl::ManagerOptions opts = options(":8443", ":8081");
  opts.metricsServerFactory = secure.factory();
  opts.metricsAuthorizer = std::make_shared<OneTokenAuthorizer>();
  ctrl::Manager mgr(std::move(opts));
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start cache"));
  // /metrics on the metrics factory's server; probes on the plain one.
  ASSERT_EQ(secure.count(), 1u);
  EXPECT_EQ(secure.server(0).address, ":8443");
  EXPECT_THAT(secure.paths(0), ElementsAre("/metrics"));
  EXPECT_TRUE(secure.server(0).handlers.empty()) << "served asynchronously, off the server threads";
  ASSERT_EQ(servers_.count(), 1u);
  EXPECT_EQ(servers_.server(0).address, ":8081");
  EXPECT_EQ(mgr.metricsPort(), secure.server(0).port);

  const ctrl::HttpServerResponse allowed =
      secure.get(0, ctrl::AsyncHttpRequest{"/metrics", "Bearer good"});
  EXPECT_EQ(allowed.status, 200);
  EXPECT_THAT(allowed.body, HasSubstr("mgrtest_authorized_probe 7"));
  EXPECT_EQ(secure.get(0, ctrl::AsyncHttpRequest{"/metrics", "Bearer other"}).status, 403);
  EXPECT_EQ(secure.get(0, ctrl::AsyncHttpRequest{"/metrics", ""}).status, 401);
  ASSERT_TRUE(stopAndWait(result).isOk());
  EXPECT_TRUE(secure.server(0).stopped);
}

TEST_F(ManagerHttpTest, MetricsServesTheSharedRegistry) {
  auto& family = prometheus::BuildGauge()
                     .Name("mgrtest_http_probe")
                     .Help("A gauge only this test registers")
                     .Register(*ctrl::metricsRegistry());
  family.Add({{"case", "metrics"}}).Set(3);
  const ctrl::HttpServerResponse response = ctrl::Manager::serveMetrics();
  EXPECT_EQ(response.status, 200);
  EXPECT_THAT(response.contentType, HasSubstr("text/plain; version=0.0.4"));
  EXPECT_THAT(response.body, HasSubstr("mgrtest_http_probe{case=\"metrics\"} 3"));
}

}  // namespace
}  // namespace mgrtest
