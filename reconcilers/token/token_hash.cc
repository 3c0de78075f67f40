#include "token/token_hash.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "token/encoding.h"
#include "token/ossl.h"

namespace st {

namespace {

// SHA-256, fetched from the default provider once. EVP_sha256() is an
// implicit fetch: every EVP_Digest with it looks the algorithm up in the
// provider store again, two thirds of the time of hashing a token here
// (docs/performance.md). Kept for the life of the process.
const EVP_MD* sha256Algorithm() {
  static const EVP_MD* const md = [] {
    const EVP_MD* fetched = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    return fetched != nullptr ? fetched : EVP_sha256();
  }();
  return md;
}

}  // namespace

std::string sha256(std::string_view data) {
  std::string digest(32, '\0');
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &length,
                 sha256Algorithm(), nullptr) != 1 ||
      length != digest.size()) {
    // SHA-256 is in every OpenSSL provider: failing here is not recoverable.
    std::abort();
  }
  return digest;
}

std::string tokenHash(std::string_view token) { return "sha256:" + hexEncode(sha256(token)); }

std::string tokenHash(const SecretString& token) { return tokenHash(token.reveal()); }

}  // namespace st
