#include "api/base64.h"

#include <openssl/evp.h>

namespace st {

std::string base64Encode(std::string_view data) {
  std::string out(4 * ((data.size() + 2) / 3), '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(data.data()),
                          static_cast<int>(data.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

ctrl::StatusOr<std::string> base64Decode(std::string_view text) {
  if (text.size() % 4 != 0) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "not valid base64: bad length");
  }
  std::string out(3 * (text.size() / 4), '\0');
  // EVP_DecodeBlock ignores padding in its result length; fix it up below.
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(text.data()),
                          static_cast<int>(text.size()));
  if (n < 0) return ctrl::Status(ctrl::Code::kInvalidArgument, "not valid base64");
  size_t pad = 0;
  if (!text.empty() && text.back() == '=') pad++;
  if (text.size() > 1 && text[text.size() - 2] == '=') pad++;
  out.resize(static_cast<size_t>(n) - pad);
  return out;
}

}  // namespace st
