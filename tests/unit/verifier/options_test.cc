// The verifier's flags: defaults, parsing, and the errors for bad values.
#include "verifier/options.h"

#include <gtest/gtest.h>

#include <vector>

namespace {

ctrl::StatusOr<st::verifier::ParsedVerifierOptions> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "servicetoken-verifier");
  return st::verifier::parseVerifierOptions(static_cast<int>(args.size()), args.data());
}

TEST(VerifierOptions, Defaults) {
  auto p = parse({});
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  const auto& o = p->options;
  EXPECT_EQ(o.bindAddress, ":8443");
  EXPECT_EQ(o.metricsBindAddress, ":8080");
  EXPECT_EQ(o.healthProbeBindAddress, ":8081");
  EXPECT_EQ(o.issuerUrl, "https://servicetoken.dev");
  EXPECT_EQ(o.audience, "servicetoken.dev");
  EXPECT_EQ(o.leewaySeconds, 30);
  EXPECT_TRUE(o.tlsCertFile.empty());
}

TEST(VerifierOptions, ParsesEveryFlag) {
  auto p =
      parse({"--kubeconfig=/k", "--namespace=ops", "--watch-namespace=apps",
             "--bind-address=127.0.0.1:9443", "--tls-cert-file=/c", "--tls-private-key-file=/k",
             "--issuer-url=https://v.example", "--audience=api", "--leeway=60",
             "--metrics-bind-address=0", "--health-probe-bind-address=:9", "--log-format=text",
             "--log-level=debug", "--threads=4", "--verified-cache-size=7"});
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  const auto& o = p->options;
  EXPECT_EQ(o.kubeconfig, "/k");
  EXPECT_EQ(o.ns, "ops");
  EXPECT_EQ(o.watchNamespace, "apps");
  EXPECT_EQ(o.bindAddress, "127.0.0.1:9443");
  EXPECT_EQ(o.tlsCertFile, "/c");
  EXPECT_EQ(o.issuerUrl, "https://v.example");
  EXPECT_EQ(o.audience, "api");
  EXPECT_EQ(o.leewaySeconds, 60);
  EXPECT_EQ(o.threads, 4);
  EXPECT_EQ(o.verifiedCacheSize, 7u);
}

TEST(VerifierOptions, RefusesBadValues) {
  EXPECT_FALSE(parse({"--leeway=61"}).isOk());
  EXPECT_FALSE(parse({"--log-format=xml"}).isOk());
  EXPECT_FALSE(parse({"--tls-cert-file=/c"}).isOk());
  EXPECT_FALSE(parse({"--audience="}).isOk());
  EXPECT_FALSE(parse({"--no-such-flag"}).isOk());
}

TEST(VerifierOptions, HelpAndVersionExit) {
  auto help = parse({"--help"});
  ASSERT_TRUE(help.isOk());
  EXPECT_TRUE(help->exit);
  EXPECT_NE(help->output.find("--tls-cert-file"), std::string::npos);
  auto version = parse({"--version"});
  ASSERT_TRUE(version.isOk());
  EXPECT_EQ(version->output, "servicetoken-verifier 0.1.0\n");
}

}  // namespace
