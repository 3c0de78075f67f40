#include "rest/tls_reloader.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <sys/stat.h>

#include "rest/file_reader.h"

namespace ctrl::rest {
namespace {

namespace ssl = boost::asio::ssl;

constexpr size_t kMaxPemBytes = 1 << 20;

}  // namespace

TlsReloader::TlsReloader(std::string certFile, std::string keyFile, Clock& clock, Duration interval,
                         std::function<void(const Status&)> onReload)
    : certFile_(std::move(certFile)),
      keyFile_(std::move(keyFile)),
      clock_(clock),
      interval_(interval),
      onReload_(std::move(onReload)) {}

StatusOr<std::unique_ptr<TlsReloader>> TlsReloader::create(
    std::string certFile, std::string keyFile, Clock& clock, Duration checkInterval,
    std::function<void(const Status&)> onReload) {
  std::unique_ptr<TlsReloader> r(new TlsReloader(std::move(certFile), std::move(keyFile), clock,
                                                 checkInterval, std::move(onReload)));
  // Stamps first: a change racing with this load is then seen as a change.
  r->certStamp_ = stampOf(r->certFile_);
  r->keyStamp_ = stampOf(r->keyFile_);
  auto context = load(r->certFile_, r->keyFile_);
  if (!context.isOk()) return context.status();
  r->context_ = std::move(context).value();
  r->lastCheck_ = clock.now();
  return r;
}

TlsReloader::Stamp TlsReloader::stampOf(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return {};
  return {static_cast<long long>(st.st_mtim.tv_sec) * 1'000'000'000LL + st.st_mtim.tv_nsec,
          static_cast<long long>(st.st_size), static_cast<unsigned long long>(st.st_ino)};
}

StatusOr<std::shared_ptr<ssl::context>> TlsReloader::load(const std::string& certFile,
                                                          const std::string& keyFile) {
  auto cert = readFileLimited(certFile, kMaxPemBytes);
  if (!cert.isOk()) return cert.status().withContext("TLS certificate file");
  auto key = readFileLimited(keyFile, kMaxPemBytes);
  if (!key.isOk()) return key.status().withContext("TLS private key file");

  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  context->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                       ssl::context::no_sslv3 | ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 |
                       ssl::context::single_dh_use);
  boost::system::error_code ec;
  context->use_certificate_chain(boost::asio::buffer(*cert), ec);
  if (ec) {
    return errorStatus(Code::kInvalidArgument,
                       "TLS certificate file " + certFile + ": not a PEM certificate chain");
  }
  // OpenSSL refuses a key that does not match the certificate as it loads
  // it: parse it alone first to tell the two failures apart.
  {
    std::unique_ptr<BIO, decltype(&BIO_free)> bio(
        BIO_new_mem_buf(key->data(), static_cast<int>(key->size())), BIO_free);
    std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> parsed(
        bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr,
        EVP_PKEY_free);
    ERR_clear_error();
    if (!parsed) {
      return errorStatus(Code::kInvalidArgument,
                         "TLS private key file " + keyFile + ": not a PEM private key");
    }
  }
  context->use_private_key(boost::asio::buffer(*key), ssl::context::pem, ec);
  ERR_clear_error();
  if (ec || SSL_CTX_check_private_key(context->native_handle()) != 1) {
    ERR_clear_error();
    return errorStatus(
        Code::kInvalidArgument,
        "TLS private key file " + keyFile + " does not match the certificate in " + certFile);
  }
  return context;
}

std::shared_ptr<ssl::context> TlsReloader::current() {
  std::unique_lock lock(mu_);
  const MonoTime now = clock_.now();
  if (now - lastCheck_ < interval_) return context_;
  lastCheck_ = now;
  const Stamp cert = stampOf(certFile_);
  const Stamp key = stampOf(keyFile_);
  if (cert == certStamp_ && key == keyStamp_) return context_;
  certStamp_ = cert;
  keyStamp_ = key;
  auto loaded = load(certFile_, keyFile_);
  if (loaded.isOk()) context_ = std::move(loaded).value();
  std::shared_ptr<ssl::context> out = context_;
  lock.unlock();
  if (onReload_) onReload_(loaded.isOk() ? Status::ok() : loaded.status());
  return out;
}

}  // namespace ctrl::rest
