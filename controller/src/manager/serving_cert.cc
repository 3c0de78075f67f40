#include "controller/serving_cert.h"

#include <arpa/inet.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>

#include "controller/log.h"

namespace ctrl {
namespace {

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free>>;
using BnPtr = std::unique_ptr<BIGNUM, Deleter<BN_free>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION_free>>;

Status openSslError(const std::string& what) {
  ERR_clear_error();  // OpenSSL's queue says nothing a user could act on
  return errorStatus(Code::kInternal, "OpenSSL failed to " + what);
}

// A refused encrypted key must fail, never prompt on a terminal.
int noPassword(char*, int, int, void*) { return 0; }

bool isIpAddress(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

// Hosts go into an OpenSSL configuration string: allow only what a DNS name
// or an IP address can contain.
bool validHost(const std::string& host) {
  return !host.empty() && host.size() <= 253 && std::all_of(host.begin(), host.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '-' || c == ':' || c == '*';
  });
}

Status addExtension(X509* cert, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str()));
  if (!ext || X509_add_ext(cert, ext.get(), -1) != 1) return openSslError("add an extension");
  return Status::ok();
}

StatusOr<std::string> pemOf(const std::function<int(BIO*)>& write) {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || write(bio.get()) != 1) return openSslError("write PEM");
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(size));
}

// Reads a whole file of at most `limit` bytes.
StatusOr<std::string> readSmallFile(const std::string& path, size_t limit) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return errorStatus(Code::kNotFound, "cannot read " + path);
  std::string data(limit + 1, '\0');
  in.read(data.data(), static_cast<std::streamsize>(data.size()));
  data.resize(static_cast<size_t>(in.gcount()));
  if (data.size() > limit) {
    return errorStatus(Code::kInvalidArgument,
                       path + " is larger than " + std::to_string(limit) + " bytes");
  }
  return data;
}

// The pair read from a directory, re-read at most every recheckInterval.
class CertificateDir {
 public:
  CertificateDir(CertificateDirOptions options, Clock& clock)
      : options_(std::move(options)), clock_(clock) {}

  Status load() {
    auto tls = read();
    if (!tls.isOk()) return tls.status();
    std::lock_guard lock(mu_);
    current_ = std::make_shared<const HttpServerTls>(std::move(tls).value());
    checked_ = clock_.now();
    return Status::ok();
  }

  std::shared_ptr<const HttpServerTls> current() {
    {
      std::lock_guard lock(mu_);
      if (clock_.now() < checked_ + options_.recheckInterval) return current_;
      checked_ = clock_.now();  // one reader re-reads; the others keep the current pair
    }
    auto tls = read();
    std::lock_guard lock(mu_);
    if (!tls.isOk()) {
      log::named("serving-cert")
          .error(tls.status(), "Kept the previous serving certificate", {{"dir", options_.dir}});
      return current_;
    }
    if (tls->certificatePem != current_->certificatePem ||
        tls->privateKeyPem != current_->privateKeyPem) {
      current_ = std::make_shared<const HttpServerTls>(std::move(tls).value());
      log::named("serving-cert")
          .info("Loaded a renewed serving certificate", {{"dir", options_.dir}});
    }
    return current_;
  }

 private:
  StatusOr<HttpServerTls> read() const {
    HttpServerTls tls;
    auto cert = readSmallFile(options_.dir + "/" + options_.certName, options_.maxFileBytes);
    if (!cert.isOk()) return cert.status();
    auto key = readSmallFile(options_.dir + "/" + options_.keyName, options_.maxFileBytes);
    if (!key.isOk()) return key.status();
    tls.certificatePem = std::move(cert).value();
    tls.privateKeyPem = std::move(key).value();
    if (Status s = checkServingTls(tls); !s.isOk()) return s.withContext(options_.dir);
    return tls;
  }

  const CertificateDirOptions options_;
  Clock& clock_;
  std::mutex mu_;
  std::shared_ptr<const HttpServerTls> current_;  // guarded by mu_
  MonoTime checked_{};                            // guarded by mu_
};

}  // namespace

StatusOr<HttpServerTls> makeSelfSignedCertificate(const std::vector<std::string>& hosts,
                                                  WallTime now, Duration validity) {
  if (hosts.empty()) {
    return errorStatus(Code::kInvalidArgument, "a serving certificate needs at least one host");
  }
  std::string san;
  for (const std::string& host : hosts) {
    if (!validHost(host)) {
      return errorStatus(Code::kInvalidArgument,
                         "invalid serving certificate host \"" + host + "\"");
    }
    if (!san.empty()) san += ",";
    san += (isIpAddress(host) ? "IP:" : "DNS:") + host;
  }

  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) return openSslError("generate a P-256 key");
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) {
    return openSslError("create a certificate");
  }
  // A random 127-bit serial: positive, unique enough for certificates no one tracks.
  BnPtr serial(BN_new());
  if (!serial || BN_rand(serial.get(), 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1 ||
      BN_to_ASN1_INTEGER(serial.get(), X509_get_serialNumber(cert.get())) == nullptr) {
    return openSslError("make a serial number");
  }
  const auto epoch = [](WallTime t) {
    return static_cast<time_t>(
        std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count());
  };
  const WallTime notBefore = now - std::chrono::hours(1);  // tolerate clock skew
  const WallTime notAfter = now + std::chrono::duration_cast<WallTime::duration>(validity);
  if (ASN1_TIME_set(X509_getm_notBefore(cert.get()), epoch(notBefore)) == nullptr ||
      ASN1_TIME_set(X509_getm_notAfter(cert.get()), epoch(notAfter)) == nullptr) {
    return openSslError("set the validity");
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = hosts.front().substr(0, 64);  // the CN's upper bound
  if (X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1,
                                 0) != 1 ||
      X509_set_issuer_name(cert.get(), name) != 1 || X509_set_pubkey(cert.get(), key.get()) != 1) {
    return openSslError("set the names");
  }
  for (const auto& [nid, value] : std::initializer_list<std::pair<int, std::string>>{
           {NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, "serverAuth"},
           {NID_subject_alt_name, san}}) {
    if (Status s = addExtension(cert.get(), nid, value); !s.isOk()) return s;
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) return openSslError("sign");

  HttpServerTls tls;
  auto certPem = pemOf([&](BIO* b) { return PEM_write_bio_X509(b, cert.get()); });
  if (!certPem.isOk()) return certPem.status();
  auto keyPem = pemOf([&](BIO* b) {
    return PEM_write_bio_PrivateKey(b, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  if (!keyPem.isOk()) return keyPem.status();
  tls.certificatePem = std::move(certPem).value();
  tls.privateKeyPem = std::move(keyPem).value();
  return tls;
}

Status checkServingTls(const HttpServerTls& tls) {
  const auto invalid = [](const std::string& what) {
    ERR_clear_error();
    return errorStatus(Code::kInvalidArgument, what);
  };
  BioPtr certBio(
      BIO_new_mem_buf(tls.certificatePem.data(), static_cast<int>(tls.certificatePem.size())));
  if (!certBio) return openSslError("allocate");
  X509Ptr cert(PEM_read_bio_X509(certBio.get(), nullptr, noPassword, nullptr));
  if (!cert) return invalid("cannot parse the PEM serving certificate");
  BioPtr keyBio(
      BIO_new_mem_buf(tls.privateKeyPem.data(), static_cast<int>(tls.privateKeyPem.size())));
  if (!keyBio) return openSslError("allocate");
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassword, nullptr));
  if (!key) return invalid("cannot parse the PEM serving key (it must not be encrypted)");
  if (X509_check_private_key(cert.get(), key.get()) != 1) {
    return invalid("the serving key does not belong to the serving certificate");
  }
  return Status::ok();
}

StatusOr<HttpServerTlsSource> watchCertificateDir(CertificateDirOptions options, Clock& clock) {
  if (options.dir.empty()) {
    return errorStatus(Code::kInvalidArgument, "no certificate directory given");
  }
  auto dir = std::make_shared<CertificateDir>(std::move(options), clock);
  if (Status s = dir->load(); !s.isOk()) return s;
  return HttpServerTlsSource([dir] { return dir->current(); });
}

}  // namespace ctrl
