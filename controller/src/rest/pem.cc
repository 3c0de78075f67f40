#include "rest/pem.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>

namespace ctrl::rest {
namespace {

struct BioFree {
  void operator()(BIO* b) const { BIO_free(b); }
};
struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct DecodeCtxFree {
  void operator()(EVP_ENCODE_CTX* c) const { EVP_ENCODE_CTX_free(c); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;

BioPtr memoryBio(std::string_view data) {
  return BioPtr(BIO_new_mem_buf(data.data(), static_cast<int>(data.size())));
}

// A null passphrase callback: an encrypted key must fail, not prompt on a tty.
int noPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

X509Ptr readCertificate(BIO* bio) {
  return X509Ptr(PEM_read_bio_X509(bio, nullptr, noPassword, nullptr));
}

}  // namespace

StatusOr<std::string> decodeBase64(std::string_view text) {
  if (text.size() > (1u << 30)) return errorStatus(Code::kInvalidArgument, "base64 too large");
  std::unique_ptr<EVP_ENCODE_CTX, DecodeCtxFree> ctx(EVP_ENCODE_CTX_new());
  if (!ctx) return errorStatus(Code::kInternal, "out of memory");
  EVP_DecodeInit(ctx.get());
  std::string out(text.size() / 4 * 3 + 3, '\0');
  int written = 0;
  const auto* in = reinterpret_cast<const unsigned char*>(text.data());
  auto* dst = reinterpret_cast<unsigned char*>(out.data());
  if (EVP_DecodeUpdate(ctx.get(), dst, &written, in, static_cast<int>(text.size())) < 0) {
    ERR_clear_error();
    return errorStatus(Code::kInvalidArgument, "not valid base64");
  }
  int tail = 0;
  if (EVP_DecodeFinal(ctx.get(), dst + written, &tail) < 0) {
    ERR_clear_error();
    return errorStatus(Code::kInvalidArgument, "not valid base64");
  }
  out.resize(static_cast<size_t>(written + tail));
  return out;
}

Status checkCertificatesPem(std::string_view pem) {
  BioPtr bio = memoryBio(pem);
  if (!bio) return errorStatus(Code::kInternal, "out of memory");
  int count = 0;
  while (X509Ptr cert = readCertificate(bio.get())) ++count;
  // The loop ends at the first unreadable block: fine when it is simply the
  // end of the input, an error when a certificate was garbled.
  const unsigned long err = ERR_peek_last_error();
  ERR_clear_error();
  const bool endOfInput =
      ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE;
  if (count == 0) {
    return errorStatus(Code::kInvalidArgument, "does not hold a PEM certificate");
  }
  if (!endOfInput) {
    return errorStatus(Code::kInvalidArgument, "holds a malformed PEM certificate");
  }
  return Status::ok();
}

Status checkPrivateKeyPem(std::string_view pem) {
  BioPtr bio = memoryBio(pem);
  if (!bio) return errorStatus(Code::kInternal, "out of memory");
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, noPassword, nullptr));
  ERR_clear_error();
  if (!key) {
    return errorStatus(Code::kInvalidArgument, "does not hold an unencrypted PEM private key");
  }
  return Status::ok();
}

Status checkKeyMatchesCertificate(std::string_view certPem, std::string_view keyPem) {
  BioPtr certBio = memoryBio(certPem);
  BioPtr keyBio = memoryBio(keyPem);
  if (!certBio || !keyBio) return errorStatus(Code::kInternal, "out of memory");
  X509Ptr cert = readCertificate(certBio.get());
  PkeyPtr key(PEM_read_bio_PrivateKey(keyBio.get(), nullptr, noPassword, nullptr));
  const bool match = cert && key && X509_check_private_key(cert.get(), key.get()) == 1;
  ERR_clear_error();
  if (!match) {
    return errorStatus(Code::kInvalidArgument,
                       "the client key does not match the client certificate");
  }
  return Status::ok();
}

}  // namespace ctrl::rest
