// The operator's command line: metrics security flags and the namespaces it
// watches (--watch-namespace, comma-separated or repeated).
#include "operator/options.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

ctrl::StatusOr<st::ParsedOptions> parse(std::vector<std::string> args) {
  args.insert(args.begin(), "servicetoken-operator");
  std::vector<const char*> argv;
  for (const std::string& a : args) argv.push_back(a.c_str());
  return st::parseOptions(static_cast<int>(argv.size()), argv.data());
}

// --clock-skew exists for benchmarks (hack/bench-convergence.sh) and is kept
// out of --help.
TEST(OperatorOptions, ClockSkewIsParsedButNotAdvertised) {
  auto parsed = parse({"--clock-skew=61d"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.clockSkew, "61d");
  auto help = parse({"--help"});
  ASSERT_TRUE(help.isOk()) << help.status().toString();
  EXPECT_TRUE(help->exit);
  EXPECT_THAT(help->output, ::testing::Not(::testing::HasSubstr("clock-skew")));
  EXPECT_THAT(help->output, ::testing::HasSubstr("--watch-namespace"));
}

TEST(OperatorOptions, WatchesAllNamespacesByDefault) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_THAT(parsed->options.watchNamespaces, IsEmpty());
}

TEST(OperatorOptions, WatchNamespaceTakesACommaSeparatedList) {
  auto parsed = parse({"--watch-namespace=team-a,team-b"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_THAT(parsed->options.watchNamespaces, ElementsAre("team-a", "team-b"));
}

TEST(OperatorOptions, WatchNamespaceMayBeRepeated) {
  auto parsed = parse({"--watch-namespace", "team-a", "--watch-namespace=team-b,team-c"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_THAT(parsed->options.watchNamespaces, ElementsAre("team-a", "team-b", "team-c"));
}

TEST(OperatorOptions, SingleWatchNamespaceStillWorks) {
  auto parsed = parse({"--watch-namespace=team-a"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_THAT(parsed->options.watchNamespaces, ElementsAre("team-a"));
}

TEST(OperatorOptions, EmptyWatchNamespaceIsAnError) {
  // All namespaces is the default: leave the flag out.
  auto parsed = parse({"--watch-namespace="});
  ASSERT_FALSE(parsed.isOk());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--watch-namespace"));
}

TEST(OperatorOptions, BadWatchNamespacesAreRejectedNamingTheFlag) {
  const std::vector<std::pair<std::string, std::string>> bad = {
      {"--watch-namespace=Team-A", "\"Team-A\" is not a namespace name"},
      {"--watch-namespace=team-a,,team-b", "\"\" is not a namespace name"},
      {"--watch-namespace=-team", "not a namespace name"},
      {"--watch-namespace=team_a", "not a namespace name"},
      {"--watch-namespace=team-a,team-a", "\"team-a\" is given twice"},
      {"--watch-namespace=" + std::string(64, 'a'), "at most 63 characters"},
  };
  for (const auto& [arg, why] : bad) {
    SCOPED_TRACE(arg.substr(0, 40));
    auto parsed = parse({arg});
    ASSERT_FALSE(parsed.isOk());
    EXPECT_EQ(parsed.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_THAT(parsed.status().message(), HasSubstr("--watch-namespace"));
    EXPECT_THAT(parsed.status().message(), HasSubstr(why));
  }
}

TEST(OperatorOptions, WatchNamespaceListIsBounded) {
  std::string list;
  for (size_t i = 0; i <= st::kMaxWatchNamespaces; ++i) {
    list += (list.empty() ? "" : ",") + ("ns-" + std::to_string(i));
  }
  auto parsed = parse({"--watch-namespace=" + list});
  ASSERT_FALSE(parsed.isOk());
  EXPECT_THAT(parsed.status().message(), HasSubstr("at most 64 namespaces"));
  // One fewer is fine.
  list = list.substr(0, list.rfind(','));
  EXPECT_TRUE(parse({"--watch-namespace=" + list}).isOk());
}

TEST(OperatorOptions, MetricsAreSecureByDefault) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_TRUE(parsed->options.metricsSecure);
  EXPECT_EQ(parsed->options.metricsCertDir, "");
  EXPECT_EQ(parsed->options.metricsCertName, "tls.crt");
  EXPECT_EQ(parsed->options.metricsKeyName, "tls.key");
}

TEST(OperatorOptions, MetricsSecureFalseTurnsItOff) {
  auto parsed = parse({"--metrics-secure=false"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_FALSE(parsed->options.metricsSecure);
  parsed = parse({"--metrics-secure=true"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_TRUE(parsed->options.metricsSecure);
}

TEST(OperatorOptions, MetricsCertificateDirectoryAndFileNames) {
  auto parsed = parse(
      {"--metrics-cert-dir=/certs", "--metrics-cert-name=cert.pem", "--metrics-key-name=key.pem"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.metricsCertDir, "/certs");
  EXPECT_EQ(parsed->options.metricsCertName, "cert.pem");
  EXPECT_EQ(parsed->options.metricsKeyName, "key.pem");
}

TEST(OperatorOptions, CertificateDirectoryWithoutSecureMetricsIsAnError) {
  auto parsed = parse({"--metrics-secure=false", "--metrics-cert-dir=/certs"});
  ASSERT_FALSE(parsed.isOk());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--metrics-cert-dir"));
}

TEST(OperatorOptions, SigningKeyRotationDefaultsToNinetyDaysAndFiveMinutes) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.signingKeyRotationInterval, std::chrono::hours(24 * 90));
  EXPECT_EQ(parsed->options.signingKeyPublishDelay, std::chrono::minutes(5));
  EXPECT_EQ(parsed->options.signingKeyRemintsPerSecond, 10);
}

TEST(OperatorOptions, SigningKeyRotationFlagsParseDurationsAndZero) {
  auto parsed = parse({"--signing-key-rotation-interval=30d", "--signing-key-publish-delay=1h",
                       "--signing-key-remints-per-second=2.5"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.signingKeyRotationInterval, std::chrono::hours(24 * 30));
  EXPECT_EQ(parsed->options.signingKeyPublishDelay, std::chrono::hours(1));
  EXPECT_EQ(parsed->options.signingKeyRemintsPerSecond, 2.5);
  auto off = parse({"--signing-key-rotation-interval=0"});
  ASSERT_TRUE(off.isOk()) << off.status().toString();
  EXPECT_EQ(off->options.signingKeyRotationInterval.count(), 0);
}

TEST(OperatorOptions, BadSigningKeyRotationFlagsAreRejectedNamingTheFlag) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {"--signing-key-rotation-interval=soon"},
           {"--signing-key-publish-delay=-5m"},
           {"--signing-key-rotation-interval=1h", "--signing-key-publish-delay=2h"},
           {"--signing-key-remints-per-second=0"}}) {
    auto parsed = parse(args);
    ASSERT_FALSE(parsed.isOk()) << args[0];
    EXPECT_THAT(parsed.status().message(), HasSubstr("--signing-key-")) << args[0];
  }
}

TEST(OperatorOptions, HelpNamesTheMetricsFlags) {
  auto parsed = parse({"--help"});
  ASSERT_TRUE(parsed.isOk());
  EXPECT_TRUE(parsed->exit);
  for (const char* flag : {"--metrics-secure ", "--metrics-cert-dir ", "--watch-namespace "}) {
    EXPECT_THAT(parsed->output, HasSubstr(flag));
  }
}

TEST(OperatorOptions, WatchIdleTimeoutDefaultsToThreeBookmarkIntervals) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.watchIdleTimeoutSeconds, 180);
  parsed = parse({"--watch-idle-timeout", "15"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.watchIdleTimeoutSeconds, 15);
  parsed = parse({"--watch-idle-timeout=0"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.watchIdleTimeoutSeconds, 0);
}

TEST(OperatorOptions, WatchIdleTimeoutOutOfRangeIsAnErrorNamingTheFlag) {
  for (const char* bad : {"-1", "3601", "soon"}) {
    auto parsed = parse({"--watch-idle-timeout", bad});
    ASSERT_FALSE(parsed.isOk()) << bad;
    EXPECT_THAT(parsed.status().message(), HasSubstr("--watch-idle-timeout")) << bad;
  }
}

TEST(OperatorOptions, HttpTransportIsBeastByDefaultAndCppRestOnRequest) {
  auto parsed = parse({});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.httpTransport, "beast");
  parsed = parse({"--http-transport", "cpprest"});
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->options.httpTransport, "cpprest");
  parsed = parse({"--http-transport", "curl"});
  ASSERT_FALSE(parsed.isOk());
  EXPECT_THAT(parsed.status().message(), HasSubstr("--http-transport"));
}

}  // namespace
