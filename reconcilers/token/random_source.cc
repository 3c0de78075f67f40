#include "token/random_source.h"

#include <openssl/err.h>
#include <openssl/rand.h>

#include <climits>

namespace st {

ctrl::Status OpenSslRandomSource::fill(std::span<unsigned char> out) {
  if (out.size() > static_cast<size_t>(INT_MAX)) {
    return ctrl::errorStatus(ctrl::Code::kInternal, "too many random bytes requested");
  }
  if (RAND_bytes(out.data(), static_cast<int>(out.size())) != 1) {
    ERR_clear_error();
    return ctrl::errorStatus(ctrl::Code::kInternal, "the OpenSSL random generator failed");
  }
  return ctrl::Status::ok();
}

OpenSslRandomSource& OpenSslRandomSource::instance() {
  static OpenSslRandomSource source;
  return source;
}

}  // namespace st
