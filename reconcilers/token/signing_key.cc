#include "token/signing_key.h"

#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <algorithm>
#include <cctype>
#include <utility>

#include "token/ossl.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Status;
using ctrl::StatusOr;

constexpr size_t kFieldBytes = 32;

Status internal(std::string message) {
  ERR_clear_error();
  return Status(Code::kInternal, std::move(message));
}

std::shared_ptr<EVP_PKEY> share(EVP_PKEY* key) {
  return std::shared_ptr<EVP_PKEY>(key, ossl::PkeyFree());
}

// An encrypted key must fail, not prompt on a terminal.
int noPassword(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*u*/) { return 0; }

// Big-endian, left-padded to 32 bytes. False when `bn` does not fit.
bool toFixed(const BIGNUM* bn, std::string& out) {
  out.assign(kFieldBytes, '\0');
  return BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()),
                      static_cast<int>(kFieldBytes)) == static_cast<int>(kFieldBytes);
}

StatusOr<PublicKey> ed25519Public(EVP_PKEY* key) {
  std::string x(kFieldBytes, '\0');
  size_t length = x.size();
  if (EVP_PKEY_get_raw_public_key(key, reinterpret_cast<unsigned char*>(x.data()), &length) != 1 ||
      length != kFieldBytes) {
    return internal("cannot read the Ed25519 public key");
  }
  return PublicKey::fromCoordinates(KeyAlgorithm::kEd25519, x, {});
}

StatusOr<PublicKey> p256Public(EVP_PKEY* key) {
  char group[64] = {};
  size_t groupLength = 0;
  if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group),
                                     &groupLength) != 1 ||
      std::string_view(group, groupLength) != "prime256v1") {
    ERR_clear_error();
    return Status(Code::kInvalidArgument, "unsupported key type (EC keys must use curve P-256)");
  }
  BIGNUM* xRaw = nullptr;
  BIGNUM* yRaw = nullptr;
  const int gotX = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_X, &xRaw);
  const int gotY = EVP_PKEY_get_bn_param(key, OSSL_PKEY_PARAM_EC_PUB_Y, &yRaw);
  ossl::BnPtr xBn(xRaw);
  ossl::BnPtr yBn(yRaw);
  std::string x;
  std::string y;
  if (gotX != 1 || gotY != 1 || !toFixed(xBn.get(), x) || !toFixed(yBn.get(), y)) {
    return internal("cannot read the P-256 public key");
  }
  return PublicKey::fromCoordinates(KeyAlgorithm::kEs256, x, y);
}

// Converts OpenSSL's DER ECDSA-Sig-Value into JOSE's fixed r||s.
StatusOr<std::string> derToRaw(std::string_view der) {
  const unsigned char* in = ossl::bytes(der);
  ossl::EcdsaSigPtr sig(d2i_ECDSA_SIG(nullptr, &in, static_cast<long>(der.size())));
  if (!sig) return internal("cannot decode an ECDSA signature");
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  std::string rBytes;
  std::string sBytes;
  if (!toFixed(r, rBytes) || !toFixed(s, sBytes)) {
    return internal("ECDSA signature does not fit P-256");
  }
  return rBytes + sBytes;
}

// The first PEM block of `bio`, through OpenSSL's provider decoders only.
// PEM_read_bio_PrivateKey would fall back to the pre-3.0 readers, which
// accept labels the decoders refuse (e.g. "ec PRIVATE KEY") and return a
// legacy key whose public point the provider parameters cannot read.
ossl::PkeyPtr readPrivateKey(BIO* bio) {
  EVP_PKEY* raw = nullptr;
  ossl::DecoderCtxPtr decoder(OSSL_DECODER_CTX_new_for_pkey(
      &raw, "PEM", nullptr, nullptr, OSSL_KEYMGMT_SELECT_KEYPAIR, nullptr, nullptr));
  if (!decoder || OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), noPassword, nullptr) != 1 ||
      OSSL_DECODER_from_bio(decoder.get(), bio) != 1) {
    EVP_PKEY_free(raw);
    raw = nullptr;
  }
  ERR_clear_error();  // OpenSSL's reasons may quote parts of the input
  return ossl::PkeyPtr(raw);
}

bool onlyWhitespace(BIO* bio) {
  char* rest = nullptr;
  const long length = BIO_get_mem_data(bio, &rest);
  return std::all_of(rest, rest + std::max(length, 0L),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; });
}

}  // namespace

SigningKey::SigningKey(std::shared_ptr<EVP_PKEY> key, PublicKey publicKey)
    : key_(std::move(key)), public_(std::move(publicKey)) {
  // The template is set up once; if OpenSSL cannot, sign() sets up a
  // context of its own each time.
  std::shared_ptr<EVP_MD_CTX> ready(EVP_MD_CTX_new(), ossl::MdCtxFree());
  if (ready && initSigning(ready.get())) {
    signTemplate_ = std::move(ready);
  } else {
    ERR_clear_error();
  }
}

bool SigningKey::initSigning(EVP_MD_CTX* ctx) const {
  const bool ecdsa = algorithm() == KeyAlgorithm::kEs256;
  return EVP_DigestSignInit(ctx, nullptr, ecdsa ? EVP_sha256() : nullptr, nullptr, key_.get()) == 1;
}

StatusOr<SigningKey> SigningKey::fromPkey(std::shared_ptr<EVP_PKEY> key) {
  StatusOr<PublicKey> pub =
      Status(Code::kInvalidArgument, "unsupported key type (supported: Ed25519, EC P-256)");
  if (EVP_PKEY_is_a(key.get(), "ED25519")) {
    pub = ed25519Public(key.get());
  } else if (EVP_PKEY_is_a(key.get(), "EC")) {
    pub = p256Public(key.get());
  }
  if (!pub.isOk()) return pub.status();
  return SigningKey(std::move(key), std::move(pub).value());
}

StatusOr<SigningKey> SigningKey::generate(KeyAlgorithm alg) {
  EVP_PKEY* key = alg == KeyAlgorithm::kEd25519
                      ? EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519")
                      : EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) return internal("cannot generate a signing key");
  return fromPkey(share(key));
}

StatusOr<SigningKey> SigningKey::fromEd25519Seed(std::string_view seed) {
  if (seed.size() != kFieldBytes) {
    return Status(Code::kInvalidArgument, "an Ed25519 seed is 32 bytes");
  }
  EVP_PKEY* key =
      EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, ossl::bytes(seed), seed.size());
  if (!key) return internal("cannot build an Ed25519 key");
  return fromPkey(share(key));
}

StatusOr<SigningKey> SigningKey::fromPem(std::string_view pem) {
  if (pem.size() > kMaxPemBytes) {
    return Status(Code::kInvalidArgument,
                  "signing key PEM is larger than " + std::to_string(kMaxPemBytes) + " bytes");
  }
  ossl::BioPtr bio = ossl::readBio(pem);
  if (!bio) return internal("out of memory");
  ossl::PkeyPtr read = readPrivateKey(bio.get());
  if (!read) {
    return Status(Code::kInvalidArgument, "signing key is not an unencrypted PEM private key");
  }
  std::shared_ptr<EVP_PKEY> key = share(read.release());
  if (!onlyWhitespace(bio.get())) {
    return Status(Code::kInvalidArgument, "signing key PEM has data after the first key");
  }
  ossl::PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_pairwise_check(check.get()) != 1) {
    ERR_clear_error();
    return Status(Code::kInvalidArgument, "signing key's private and public key do not match");
  }
  return fromPkey(std::move(key));
}

StatusOr<SecretString> SigningKey::toPem() const {
  // A memory BIO wipes its buffer when freed (BUF_MEM_free clears).
  ossl::BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PKCS8PrivateKey(bio.get(), key_.get(), nullptr, nullptr, 0, nullptr,
                                            nullptr) != 1) {
    return internal("cannot encode the signing key as PEM");
  }
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  if (length <= 0 || data == nullptr) return internal("cannot encode the signing key as PEM");
  return SecretString(std::string(data, static_cast<size_t>(length)));
}

StatusOr<std::string> SigningKey::sign(std::string_view signingInput) const {
  const bool ecdsa = algorithm() == KeyAlgorithm::kEs256;
  ossl::MdCtxPtr ctx(EVP_MD_CTX_new());
  // A copy of the template skips the algorithm fetch and set-up of
  // EVP_DigestSignInit (a fifth of the signing cost at 10,000 mints).
  // Copying only reads the template, so threads may sign at once.
  bool ready = ctx && signTemplate_ && EVP_MD_CTX_copy_ex(ctx.get(), signTemplate_.get()) == 1;
  if (ctx && !ready) {
    ERR_clear_error();
    ready = initSigning(ctx.get());
  }
  if (!ready) return internal("cannot initialise signing");
  size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, ossl::bytes(signingInput), signingInput.size()) !=
      1) {
    return internal("cannot sign");
  }
  std::string signature(length, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(signature.data()), &length,
                     ossl::bytes(signingInput), signingInput.size()) != 1) {
    return internal("cannot sign");
  }
  signature.resize(length);
  if (ecdsa) return derToRaw(signature);
  return signature;
}

}  // namespace st
