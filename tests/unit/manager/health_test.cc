#include "controller/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <stdexcept>

#include "manager_fakes.h"

namespace mgrtest {
namespace {

using ::testing::ElementsAre;

ctrl::Status ok() { return ctrl::Status::ok(); }
ctrl::Status broken() { return ctrl::errorStatus(ctrl::Code::kUnavailable, "token=abc123"); }

TEST(HealthChecksTest, NoChecksIsOk) {
  const ctrl::HealthChecks checks("healthz");
  const ctrl::HttpServerResponse r = checks.serveAll();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "ok");
}

TEST(HealthChecksTest, AllPassingIsOk) {
  ctrl::HealthChecks checks("readyz");
  ASSERT_TRUE(checks.add("a", ok).isOk());
  ASSERT_TRUE(checks.add("b", ok).isOk());
  EXPECT_EQ(checks.serveAll().status, 200);
  EXPECT_EQ(checks.serveAll().body, "ok");
}

TEST(HealthChecksTest, FailureListsEveryCheckInOrderAndWithholdsTheReason) {
  ctrl::HealthChecks checks("readyz");
  ASSERT_TRUE(checks.add("ping", ok).isOk());
  ASSERT_TRUE(checks.add("cache", broken).isOk());
  ASSERT_TRUE(checks.add("log", ok).isOk());
  const ctrl::HttpServerResponse r = checks.serveAll();
  EXPECT_EQ(r.status, 500);
  EXPECT_EQ(r.body,
            "[+]ping ok\n"
            "[-]cache failed: reason withheld\n"
            "[+]log ok\n"
            "readyz check failed\n");
}

TEST(HealthChecksTest, ThrowingCheckFails) {
  ctrl::HealthChecks checks("healthz");
  ASSERT_TRUE(
      checks.add("thrower", []() -> ctrl::Status { throw std::runtime_error("x"); }).isOk());
  EXPECT_EQ(checks.serveAll().status, 500);
}

TEST(HealthChecksTest, SingleCheck) {
  ctrl::HealthChecks checks("healthz");
  ASSERT_TRUE(checks.add("good", ok).isOk());
  ASSERT_TRUE(checks.add("bad", broken).isOk());
  EXPECT_EQ(checks.serveOne("good").status, 200);
  EXPECT_EQ(checks.serveOne("good").body, "ok");
  EXPECT_EQ(checks.serveOne("bad").status, 500);
  EXPECT_EQ(checks.serveOne("bad").body, "[-]bad failed: reason withheld\n");
  EXPECT_EQ(checks.serveOne("unknown").status, 404);
}

TEST(HealthChecksTest, RejectsBadAndDuplicateNames) {
  ctrl::HealthChecks checks("healthz");
  EXPECT_EQ(checks.add("", ok).code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(checks.add("a/b", ok).code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(checks.add("a b", ok).code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(checks.add("empty", nullptr).code(), ctrl::Code::kInvalidArgument);
  ASSERT_TRUE(checks.add("a", ok).isOk());
  EXPECT_EQ(checks.add("a", ok).code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(checks.names(), ElementsAre("a"));
}

TEST(HealthChecksTest, RegistersTheAggregateAndEachCheck) {
  ctrl::HealthChecks checks("livez");
  ASSERT_TRUE(checks.add("one", ok).isOk());
  ASSERT_TRUE(checks.add("two", broken).isOk());
  FakeHttpServers servers;
  auto server = servers.factory()();
  checks.registerOn(*server);
  EXPECT_THAT(servers.paths(0), ElementsAre("/livez", "/livez/one", "/livez/two"));
  EXPECT_EQ(servers.get(0, "/livez").status, 500);
  EXPECT_EQ(servers.get(0, "/livez/one").status, 200);
  EXPECT_EQ(servers.get(0, "/livez/two").status, 500);
}

}  // namespace
}  // namespace mgrtest
