// inClusterConfig: the service environment, the mounted CA, and token
// rotation picked up on the next re-read (at most once a minute, driven by a
// FakeClock, so no test waits).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <optional>
#include <string>

#include "controller/rest_config.h"
#include "fake_clock.h"
#include "support/temp_dir.h"
#include "unit/rest/test_pki.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Sets an environment variable for the life of the object, then restores it.
class ScopedEnv {
 public:
  ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      setenv(name, value->c_str(), 1);
    } else {
      unsetenv(name);
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_, old_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

class InClusterTest : public ::testing::Test {
 protected:
  InClusterTest() {
    options_.tokenFile = dir_.write("token", "token-one\n");
    options_.caFile = dir_.write("ca.crt", sttest::makeSelfSignedCert("cluster-ca").certPem);
    options_.clock = &clock_;
  }

  sttest::TempDir dir_;
  sttest::FakeClock clock_;
  ctrl::InClusterOptions options_;
};

TEST_F(InClusterTest, BuildsConfigFromEnvironmentAndFiles) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://10.96.0.1:443");
  EXPECT_THAT(config->caPem, HasSubstr("BEGIN CERTIFICATE"));
  EXPECT_FALSE(config->insecureSkipTlsVerify);
  ASSERT_TRUE(config->bearerToken);
  EXPECT_EQ(config->bearerToken(), "token-one");
}

TEST_F(InClusterTest, Ipv6HostGetsBrackets) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "fd00::1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "6443");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://[fd00::1]:6443");
}

TEST_F(InClusterTest, RotatedTokenIsPickedUpAfterAMinute) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->bearerToken(), "token-one");

  dir_.write("token", "token-two\n");
  // Cached: the file is not re-read within the minute.
  clock_.advance(59s);
  EXPECT_EQ(config->bearerToken(), "token-one");
  clock_.advance(2s);
  EXPECT_EQ(config->bearerToken(), "token-two");
}

TEST_F(InClusterTest, UnreadableRotationKeepsTheLastGoodToken) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  dir_.write("token", "   \n");  // mid-rotation: empty
  clock_.advance(2min);
  EXPECT_EQ(config->bearerToken(), "token-one");
  dir_.write("token", "token-three");
  EXPECT_EQ(config->bearerToken(), "token-three");  // a failed read is retried at once
}

TEST_F(InClusterTest, OutsideAClusterIsNotFound) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", std::nullopt);
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), ctrl::Code::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("KUBERNETES_SERVICE_HOST"));
}

TEST_F(InClusterTest, MissingTokenFileIsAnError) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  options_.tokenFile = dir_.path() + "/no-token";
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), ctrl::Code::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("no-token"));
}

TEST_F(InClusterTest, GarbageCaIsAnErrorThatDoesNotEchoIt) {
  ScopedEnv host("KUBERNETES_SERVICE_HOST", "10.96.0.1");
  ScopedEnv port("KUBERNETES_SERVICE_PORT", "443");
  dir_.write("ca.crt", "garbage-SENTINEL-ca");
  auto config = ctrl::inClusterConfig(options_);
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("CA"));
  EXPECT_THAT(config.status().message(), Not(HasSubstr("SENTINEL")));
}

}  // namespace
