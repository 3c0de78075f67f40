#include "rest/tls_setup.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>

namespace ctrl::rest {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;

// A null passphrase callback: an encrypted key must fail, not prompt on a tty.
int noPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

// Every certificate in `pem`, in order. Errors: InvalidArgument when there is
// none or one is garbled.
StatusOr<std::vector<X509Ptr>> readCertificates(std::string_view pem) {
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (!bio) return errorStatus(Code::kInternal, "out of memory");
  std::vector<X509Ptr> certs;
  while (X509* cert = PEM_read_bio_X509(bio.get(), nullptr, noPassword, nullptr)) {
    certs.emplace_back(cert);
  }
  // The loop ends at the first unreadable block: the end of the input, or a
  // garbled certificate.
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  const bool endOfInput =
      ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (certs.empty() || !endOfInput) {
    return errorStatus(Code::kInvalidArgument, "cannot parse the PEM certificates");
  }
  return certs;
}

}  // namespace

StatusOr<std::shared_ptr<const TlsSetup>> TlsSetup::parse(std::string_view caPem,
                                                          std::string_view certPem,
                                                          std::string_view keyPem) {
  std::shared_ptr<TlsSetup> setup(new TlsSetup());
  if (!caPem.empty()) {
    auto cas = readCertificates(caPem);
    if (!cas.isOk()) return cas.status().withContext("CA");
    setup->trust_ = X509_STORE_new();
    if (setup->trust_ == nullptr) return errorStatus(Code::kInternal, "out of memory");
    for (const X509Ptr& ca : cas.value()) {
      // The store takes its own reference. A duplicate is not an error.
      if (X509_STORE_add_cert(setup->trust_, ca.get()) != 1) {
        ERR_clear_error();
        return errorStatus(Code::kInternal, "cannot add a CA certificate to the trust store");
      }
    }
  }
  if (certPem.empty() != keyPem.empty()) {
    return errorStatus(Code::kInvalidArgument,
                       "a client certificate needs a client key and vice versa");
  }
  if (!certPem.empty()) {
    auto certs = readCertificates(certPem);
    if (!certs.isOk()) return certs.status().withContext("client certificate");
    setup->cert_ = certs.value().front().release();
    for (size_t i = 1; i < certs.value().size(); ++i) {
      setup->chain_.push_back(certs.value()[i].release());
    }
    BioPtr bio(BIO_new_mem_buf(keyPem.data(), static_cast<int>(keyPem.size())));
    if (!bio) return errorStatus(Code::kInternal, "out of memory");
    setup->key_ = PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr);
    ERR_clear_error();
    if (setup->key_ == nullptr) {
      return errorStatus(Code::kInvalidArgument, "cannot parse the PEM client key");
    }
  }
  return std::shared_ptr<const TlsSetup>(std::move(setup));
}

TlsSetup::~TlsSetup() {
  X509_STORE_free(trust_);
  X509_free(cert_);
  for (X509* cert : chain_) X509_free(cert);
  EVP_PKEY_free(key_);
}

bool TlsSetup::applyTo(SSL_CTX* ctx) const {
  bool ok = SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) == 1;
  // Trust only the configured CAs, as client-go does when a CA is given.
  // set1: the context takes a reference; the store is shared read-only.
  if (ok && trust_ != nullptr) SSL_CTX_set1_cert_store(ctx, trust_);
  if (ok && cert_ != nullptr) {
    ok = SSL_CTX_use_certificate(ctx, cert_) == 1 && SSL_CTX_clear_chain_certs(ctx) == 1;
    for (X509* cert : chain_) ok = ok && SSL_CTX_add1_chain_cert(ctx, cert) == 1;
    ok = ok && SSL_CTX_use_PrivateKey(ctx, key_) == 1;
  }
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace ctrl::rest
