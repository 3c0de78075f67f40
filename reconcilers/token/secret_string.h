// SecretString holds a secret value (a token, a private key in PEM) so that it
// cannot be logged or formatted by accident: there is no operator<<, no fmt
// formatter and no implicit conversion to std::string; reading the value takes
// an explicit reveal(). The bytes are wiped (OPENSSL_cleanse) on destruction.
//
// Limits of the guarantee: a copy of the revealed value made by the caller is
// an ordinary string, and copies of a SecretString are independent buffers
// (each wiped when it dies). Prefer moving.
#pragma once

#include <cstddef>
#include <iosfwd>
#include <string>
#include <string_view>

namespace st {

class SecretString {
 public:
  SecretString() = default;
  // Takes ownership of `value` without reallocating it.
  explicit SecretString(std::string&& value) : value_(std::move(value)) {}
  // Copies `value`; the caller's buffer is not wiped.
  explicit SecretString(std::string_view value) : value_(value) {}
  // Disambiguates literals between the two constructors above.
  explicit SecretString(const char* value) : value_(value) {}

  SecretString(const SecretString&) = default;
  SecretString& operator=(const SecretString& other);
  SecretString(SecretString&& other) noexcept;
  SecretString& operator=(SecretString&& other) noexcept;
  ~SecretString();

  // The secret itself. Whoever calls this is responsible for not logging it.
  std::string_view reveal() const { return value_; }
  size_t size() const { return value_.size(); }
  bool empty() const { return value_.empty(); }

  // Constant-time comparison (CRYPTO_memcmp) for equal lengths.
  friend bool operator==(const SecretString& a, const SecretString& b);

 private:
  void wipe();
  std::string value_;
};

// For GoogleTest: without it gtest would dump the object's raw bytes, which
// could include a short secret. Prints a placeholder, never the value.
void PrintTo(const SecretString& s, std::ostream* os);

}  // namespace st
