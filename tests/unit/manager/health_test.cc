#include "controller/health.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

#include "controller/log.h"
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

// A check that throws fails. What the exception says stays out of the logs
// (a JSON parse error quotes its input, which may be a secret): only its
// type is reported.
TEST(HealthChecksTest, ThrowingCheckFailsAndItsMessageIsNotLogged) {
  std::ostringstream logs;
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel, &logs);
  ctrl::HealthChecks checks("healthz");
  ASSERT_TRUE(checks
                  .add("thrower",
                       []() -> ctrl::Status {
                         const auto doc = nlohmann::json::parse(R"({"token":"s3cr3t-value)");
                         return doc.is_object() ? ctrl::Status::ok() : ctrl::Status::ok();
                       })
                  .isOk());
  const ctrl::HttpServerResponse r = checks.serveAll();
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(logs.str(), ::testing::HasSubstr("parse_error"));
  EXPECT_THAT(logs.str(), ::testing::Not(::testing::HasSubstr("s3cr3t-value")));
  EXPECT_THAT(r.body, ::testing::Not(::testing::HasSubstr("s3cr3t-value")));
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
