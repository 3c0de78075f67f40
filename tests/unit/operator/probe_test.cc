// `servicetoken-operator --probe URL`, the chart's `helm test` check: URL
// parsing, and one GET against a real local HTTP server (2xx -> 0, else 1).
#include "operator/probe.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "controller/http_server.h"

namespace {

using ::testing::HasSubstr;

TEST(ProbeUrl, SplitsServerAndTarget) {
  auto t = st::parseProbeUrl("http://op-metrics.st-system.svc:8081/readyz");
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->server, "http://op-metrics.st-system.svc:8081");
  EXPECT_EQ(t->target, "/readyz");
  t = st::parseProbeUrl("http://127.0.0.1:8081");
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->target, "/");
  t = st::parseProbeUrl("http://[::1]:8081/readyz?verbose");
  ASSERT_TRUE(t.isOk());
  EXPECT_EQ(t->server, "http://[::1]:8081");
  EXPECT_EQ(t->target, "/readyz?verbose");
}

TEST(ProbeUrl, RejectsOtherSchemesEmptyHostsAndLongUrls) {
  for (const std::string& bad :
       {std::string("https://x/readyz"), std::string("x:8081/readyz"), std::string("http://"),
        std::string("http://:8081/readyz"), "http://x/" + std::string(2048, 'a')}) {
    auto t = st::parseProbeUrl(bad);
    EXPECT_EQ(t.status().code(), ctrl::Code::kInvalidArgument) << bad.substr(0, 30);
    EXPECT_THAT(t.status().message(), HasSubstr("--probe"));
  }
}

class ProbeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_->handle("/readyz", [this](const std::string&) {
      return ctrl::HttpServerResponse{ready_ ? 200 : 500, "text/plain", "body-not-printed"};
    });
    ASSERT_TRUE(server_->start("127.0.0.1:0").isOk());
  }
  int probe(const std::string& path) {
    out_.str("");
    err_.str("");
    return st::runProbe("http://127.0.0.1:" + std::to_string(server_->port()) + path, out_, err_);
  }

  std::unique_ptr<ctrl::HttpServer> server_ = ctrl::makeCppRestHttpServer();
  bool ready_ = true;
  std::ostringstream out_, err_;
};

TEST_F(ProbeTest, SucceedsOnTwoHundred) {
  EXPECT_EQ(probe("/readyz"), 0);
  EXPECT_THAT(out_.str(), HasSubstr("HTTP 200"));
  EXPECT_THAT(out_.str(), ::testing::Not(HasSubstr("body-not-printed")));
}

TEST_F(ProbeTest, FailsOnAnErrorStatusOrAnUnknownPath) {
  ready_ = false;
  EXPECT_EQ(probe("/readyz"), 1);
  EXPECT_THAT(err_.str(), HasSubstr("HTTP 500"));
  EXPECT_EQ(probe("/nothing"), 1);
  EXPECT_THAT(err_.str(), HasSubstr("HTTP 404"));
}

TEST_F(ProbeTest, FailsWhenNothingListens) {
  const int port = server_->port();
  server_->stop();
  std::ostringstream out, err;
  EXPECT_EQ(st::runProbe("http://127.0.0.1:" + std::to_string(port) + "/readyz", out, err), 1);
  EXPECT_THAT(err.str(), HasSubstr("probe"));
}

TEST(Probe, MalformedUrlIsExitCodeTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(st::runProbe("ftp://x/", out, err), 2);
  EXPECT_THAT(err.str(), HasSubstr("http://"));
}

}  // namespace
