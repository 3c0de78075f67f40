#include "token/secret_string.h"

#include <openssl/crypto.h>

#include <ostream>

namespace st {

SecretString& SecretString::operator=(const SecretString& other) {
  if (this != &other) {
    wipe();
    value_ = other.value_;
  }
  return *this;
}

SecretString::SecretString(SecretString&& other) noexcept : value_(std::move(other.value_)) {
  // A short string is copied out of the small-string buffer, not moved: wipe
  // what may remain in the source.
  other.wipe();
}

SecretString& SecretString::operator=(SecretString&& other) noexcept {
  if (this != &other) {
    wipe();
    value_ = std::move(other.value_);
    other.wipe();
  }
  return *this;
}

SecretString::~SecretString() { wipe(); }

void SecretString::wipe() {
  // capacity() covers bytes past size() that an earlier, longer value used.
  if (value_.capacity() > 0) OPENSSL_cleanse(value_.data(), value_.capacity());
  value_.clear();
}

bool operator==(const SecretString& a, const SecretString& b) {
  if (a.value_.size() != b.value_.size()) return false;
  return CRYPTO_memcmp(a.value_.data(), b.value_.data(), a.value_.size()) == 0;
}

void PrintTo(const SecretString& s, std::ostream* os) {
  *os << "SecretString(<redacted>, " << s.size() << " bytes)";
}

}  // namespace st
