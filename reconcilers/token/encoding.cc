#include "token/encoding.h"

#include <openssl/evp.h>

#include <algorithm>

#include "token/ossl.h"

namespace st {
namespace {

bool isBase64UrlChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_';
}

// Largest input we decode: far above any JWT segment or JWK member we accept.
constexpr size_t kMaxDecodeInput = size_t{1} << 24;

}  // namespace

std::string base64UrlEncode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), ossl::bytes(data),
                                static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  while (!out.empty() && out.back() == '=') out.pop_back();
  std::replace(out.begin(), out.end(), '+', '-');
  std::replace(out.begin(), out.end(), '/', '_');
  return out;
}

ctrl::StatusOr<std::string> base64UrlDecode(std::string_view text) {
  const ctrl::Status invalid(ctrl::Code::kInvalidArgument, "not valid base64url");
  if (text.size() > kMaxDecodeInput || text.size() % 4 == 1) return invalid;
  if (!std::all_of(text.begin(), text.end(), isBase64UrlChar)) return invalid;

  std::string standard(text);
  std::replace(standard.begin(), standard.end(), '-', '+');
  std::replace(standard.begin(), standard.end(), '_', '/');
  const size_t padding = (4 - standard.size() % 4) % 4;
  standard.append(padding, '=');

  std::string out(standard.size() / 4 * 3, '\0');
  const int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()), ossl::bytes(standard),
                                static_cast<int>(standard.size()));
  if (n < 0 || static_cast<size_t>(n) != out.size()) return invalid;
  // EVP_DecodeBlock decodes padding as zero bytes: drop them.
  out.resize(out.size() - padding);
  // Unused low bits in the last character must be zero (canonical form).
  if (base64UrlEncode(out) != text) return invalid;
  return out;
}

std::string hexEncode(std::string_view data) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(data.size() * 2);
  for (unsigned char c : data) {
    out.push_back(kDigits[c >> 4]);
    out.push_back(kDigits[c & 0xf]);
  }
  return out;
}

}  // namespace st
