// Serving certificates for /metrics: the self-signed one made at start is a
// valid P-256 server certificate for the hosts asked for; a certificate
// directory is read, checked, and read again when its files change.
#include "controller/serving_cert.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <memory>
#include <string>

#include "fake_clock.h"
#include "temp_dir.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};

std::unique_ptr<X509, X509Free> parseCert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* cert = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<X509, X509Free>(cert);
}

std::unique_ptr<EVP_PKEY, PkeyFree> parseKey(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  EVP_PKEY* key = PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<EVP_PKEY, PkeyFree>(key);
}

time_t epoch(ctrl::WallTime t) {
  return static_cast<time_t>(
      std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
}

const ctrl::WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};

TEST(SelfSignedCertificate, IsAServerCertificateForTheHostsAskedFor) {
  auto tls = ctrl::makeSelfSignedCertificate({"localhost", "127.0.0.1", "::1", "op-7f9c"}, kNow,
                                             std::chrono::hours(24 * 365));
  ASSERT_TRUE(tls.isOk()) << tls.status().toString();
  auto cert = parseCert(tls->certificatePem);
  auto key = parseKey(tls->privateKeyPem);
  ASSERT_TRUE(cert);
  ASSERT_TRUE(key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
  EXPECT_EQ(X509_verify(cert.get(), key.get()), 1) << "self-signed";
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  char group[32] = {};
  size_t len = 0;
  ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, &len), 1);
  EXPECT_STREQ(group, "prime256v1");

  EXPECT_EQ(X509_check_host(cert.get(), "localhost", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_host(cert.get(), "op-7f9c", 0, 0, nullptr), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "127.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_ip_asc(cert.get(), "::1", 0), 1);
  EXPECT_NE(X509_check_host(cert.get(), "example.com", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(cert.get(), "10.0.0.1", 0), 1);
  EXPECT_EQ(X509_check_purpose(cert.get(), X509_PURPOSE_SSL_SERVER, 0), 1);
  EXPECT_EQ(X509_check_ca(cert.get()), 0) << "not a CA";

  // Valid from an hour before now (clock skew) for the validity asked for.
  time_t before = epoch(kNow - 1h) - 1, after = epoch(kNow - 1h) + 1;
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), &before), 1);
  EXPECT_EQ(X509_cmp_time(X509_get0_notBefore(cert.get()), &after), -1);
  time_t end = epoch(kNow + std::chrono::hours(24 * 365));
  time_t justBefore = end - 1, justAfter = end + 1;
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(cert.get()), &justBefore), 1);
  EXPECT_EQ(X509_cmp_time(X509_get0_notAfter(cert.get()), &justAfter), -1);

  EXPECT_TRUE(ctrl::checkServingTls(*tls).isOk());
}

TEST(SelfSignedCertificate, EachCallMakesANewKey) {
  auto a = ctrl::makeSelfSignedCertificate({"localhost"}, kNow, 24h);
  auto b = ctrl::makeSelfSignedCertificate({"localhost"}, kNow, 24h);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(a->privateKeyPem, b->privateKeyPem);
  EXPECT_NE(a->certificatePem, b->certificatePem);
}

TEST(SelfSignedCertificate, RejectsMissingOrOddHosts) {
  EXPECT_EQ(ctrl::makeSelfSignedCertificate({}, kNow, 24h).status().code(),
            ctrl::Code::kInvalidArgument);
  for (const char* host : {"", "a,DNS:evil.example", "a b", "x\n"}) {
    auto tls = ctrl::makeSelfSignedCertificate({"localhost", host}, kNow, 24h);
    EXPECT_EQ(tls.status().code(), ctrl::Code::kInvalidArgument) << host;
  }
}

TEST(ServingTlsCheck, RejectsAKeyOfAnotherCertificateAndGarbage) {
  auto a = ctrl::makeSelfSignedCertificate({"localhost"}, kNow, 24h);
  auto b = ctrl::makeSelfSignedCertificate({"localhost"}, kNow, 24h);
  ASSERT_TRUE(a.isOk() && b.isOk());
  ctrl::Status s = ctrl::checkServingTls({a->certificatePem, b->privateKeyPem});
  EXPECT_EQ(s.code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(s.message(), HasSubstr("does not belong"));
  s = ctrl::checkServingTls({"-----BEGIN CERTIFICATE-----\nnope\n", a->privateKeyPem});
  EXPECT_THAT(s.message(), HasSubstr("serving certificate"));
  s = ctrl::checkServingTls({a->certificatePem, "secret-looking-key-bytes"});
  EXPECT_THAT(s.message(), HasSubstr("serving key"));
  EXPECT_THAT(s.message(), Not(HasSubstr("secret-looking-key-bytes")));
}

class CertificateDirTest : public ::testing::Test {
 protected:
  void writePair(const ctrl::HttpServerTls& tls) {
    dir_.write("tls.crt", tls.certificatePem);
    dir_.write("tls.key", tls.privateKeyPem);
  }
  ctrl::CertificateDirOptions options() {
    ctrl::CertificateDirOptions o;
    o.dir = dir_.path();
    return o;
  }
  ctrl::HttpServerTls make() {
    auto tls = ctrl::makeSelfSignedCertificate({"localhost"}, kNow, 24h);
    EXPECT_TRUE(tls.isOk());
    return *tls;
  }

  sttest::TempDir dir_;
  sttest::FakeClock clock_;
};

TEST_F(CertificateDirTest, ServesTheFilesAndPicksUpARenewalAfterTheRecheckInterval) {
  const ctrl::HttpServerTls first = make();
  writePair(first);
  auto source = ctrl::watchCertificateDir(options(), clock_);
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  auto served = (*source)();
  EXPECT_EQ(served->certificatePem, first.certificatePem);
  EXPECT_EQ((*source)(), served) << "same pointer while nothing changed";

  const ctrl::HttpServerTls renewed = make();
  writePair(renewed);
  EXPECT_EQ((*source)()->certificatePem, first.certificatePem) << "not re-read before 10 s";
  clock_.advance(10s);
  EXPECT_EQ((*source)()->certificatePem, renewed.certificatePem);
  EXPECT_EQ((*source)()->privateKeyPem, renewed.privateKeyPem);
}

TEST_F(CertificateDirTest, ABrokenRenewalKeepsThePreviousPair) {
  const ctrl::HttpServerTls first = make();
  writePair(first);
  auto source = ctrl::watchCertificateDir(options(), clock_);
  ASSERT_TRUE(source.isOk()) << source.status().toString();
  // Half-written: a new certificate with the old key.
  dir_.write("tls.crt", make().certificatePem);
  clock_.advance(10s);
  EXPECT_EQ((*source)()->certificatePem, first.certificatePem);
}

TEST_F(CertificateDirTest, MissingTooLargeOrMismatchedFilesAreErrors) {
  auto missing = ctrl::watchCertificateDir(options(), clock_);
  EXPECT_EQ(missing.status().code(), ctrl::Code::kNotFound);

  const ctrl::HttpServerTls tls = make();
  writePair(tls);
  auto o = options();
  o.maxFileBytes = 100;
  auto large = ctrl::watchCertificateDir(o, clock_);
  EXPECT_EQ(large.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(large.status().message(), HasSubstr("larger than 100 bytes"));

  dir_.write("tls.key", make().privateKeyPem);
  auto mismatched = ctrl::watchCertificateDir(options(), clock_);
  EXPECT_EQ(mismatched.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(mismatched.status().message(), HasSubstr("does not belong"));

  o = options();
  o.certName = "cert.pem";
  o.keyName = "key.pem";
  dir_.write("cert.pem", tls.certificatePem);
  dir_.write("key.pem", tls.privateKeyPem);
  EXPECT_TRUE(ctrl::watchCertificateDir(o, clock_).isOk());
}

}  // namespace
