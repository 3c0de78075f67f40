// makeCppRestTransport: configuration errors are caught up front, as
// InvalidArgument, without echoing certificate or key material.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "controller/transport.h"
#include "unit/rest/test_pki.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

ctrl::RestConfig validConfig() {
  static const sttest::TestCert ca = sttest::makeSelfSignedCert("ca");
  static const sttest::TestCert client = sttest::makeSelfSignedCert("client");
  ctrl::RestConfig config;
  config.server = "https://127.0.0.1:6443";
  config.caPem = ca.certPem;
  config.clientCertPem = client.certPem;
  config.clientKeyPem = client.keyPem;
  return config;
}

void expectInvalid(const ctrl::RestConfig& config, const std::string& mustContain) {
  auto transport = ctrl::makeCppRestTransport(config);
  ASSERT_FALSE(transport.isOk());
  EXPECT_EQ(transport.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(transport.status().message(), HasSubstr(mustContain));
  EXPECT_THAT(transport.status().message(), Not(HasSubstr("PRIVATE KEY")));
  EXPECT_THAT(transport.status().message(), Not(HasSubstr("SENTINEL")));
}

TEST(TransportConfigTest, ValidConfigWithEcClientCertificate) {
  auto transport = ctrl::makeCppRestTransport(validConfig());
  EXPECT_TRUE(transport.isOk()) << transport.status().toString();
}

TEST(TransportConfigTest, PlainHttpNeedsNoTls) {
  ctrl::RestConfig config;
  config.server = "http://localhost:8080";
  EXPECT_TRUE(ctrl::makeCppRestTransport(config).isOk());
}

TEST(TransportConfigTest, BadServerUrls) {
  for (const char* server : {"", "127.0.0.1:6443", "ftp://host", "https://", "https://a b"}) {
    ctrl::RestConfig config = validConfig();
    config.server = server;
    expectInvalid(config, "server URL");
  }
}

TEST(TransportConfigTest, GarbageCa) {
  ctrl::RestConfig config = validConfig();
  config.caPem = "-----BEGIN CERTIFICATE-----\nSENTINEL\n-----END CERTIFICATE-----\n";
  expectInvalid(config, "CA");
}

TEST(TransportConfigTest, CertificateWithoutKey) {
  ctrl::RestConfig config = validConfig();
  config.clientKeyPem.clear();
  expectInvalid(config, "client key");
}

TEST(TransportConfigTest, GarbageKey) {
  ctrl::RestConfig config = validConfig();
  config.clientKeyPem = "-----BEGIN PRIVATE KEY-----\nSENTINEL\n-----END PRIVATE KEY-----\n";
  expectInvalid(config, "client key");
}

TEST(TransportConfigTest, KeyOfAnotherCertificate) {
  ctrl::RestConfig config = validConfig();
  config.clientKeyPem = sttest::makeSelfSignedCert("other").keyPem;
  expectInvalid(config, "does not match");
}

}  // namespace
