#include "token/token_hash.h"

#include <openssl/evp.h>

#include <cstdlib>

#include "token/encoding.h"
#include "token/ossl.h"

namespace st {

std::string sha256(std::string_view data) {
  std::string digest(32, '\0');
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), reinterpret_cast<unsigned char*>(digest.data()), &length,
                 EVP_sha256(), nullptr) != 1 ||
      length != digest.size()) {
    // SHA-256 is in every OpenSSL provider: failing here is not recoverable.
    std::abort();
  }
  return digest;
}

std::string tokenHash(std::string_view token) { return "sha256:" + hexEncode(sha256(token)); }

std::string tokenHash(const SecretString& token) { return tokenHash(token.reveal()); }

}  // namespace st
