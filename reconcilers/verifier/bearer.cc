#include "verifier/bearer.h"

#include <array>

namespace st::verifier {
namespace {

bool isOws(char c) { return c == ' ' || c == '\t'; }

// The b64token alphabet as a table: the token is scanned byte by byte on
// every request.
constexpr std::array<bool, 256> kB64Token = [] {
  std::array<bool, 256> t{};
  for (int c = 'A'; c <= 'Z'; ++c) t[c] = true;
  for (int c = 'a'; c <= 'z'; ++c) t[c] = true;
  for (int c = '0'; c <= '9'; ++c) t[c] = true;
  for (char c : {'-', '.', '_', '~', '+', '/'}) t[static_cast<unsigned char>(c)] = true;
  return t;
}();

bool isB64TokenChar(char c) { return kB64Token[static_cast<unsigned char>(c)]; }

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

Bearer extractBearer(std::string_view header) {
  if (header.size() > kMaxAuthorizationBytes) return {BearerResult::kTooLarge, {}};
  while (!header.empty() && isOws(header.front())) header.remove_prefix(1);
  while (!header.empty() && isOws(header.back())) header.remove_suffix(1);
  if (header.empty()) return {BearerResult::kMissing, {}};

  constexpr std::string_view kScheme = "Bearer";
  const size_t schemeEnd = header.find_first_of(" \t");
  const std::string_view scheme = header.substr(0, schemeEnd);
  if (!equalsIgnoreCase(scheme, kScheme)) return {BearerResult::kMissing, {}};
  if (schemeEnd == std::string_view::npos) return {BearerResult::kMalformed, {}};
  // RFC 6750 asks for 1*SP; a tab is tolerated as other servers do.
  std::string_view token = header.substr(schemeEnd);
  while (!token.empty() && isOws(token.front())) token.remove_prefix(1);

  size_t i = 0;
  while (i < token.size() && isB64TokenChar(token[i])) ++i;
  if (i == 0) return {BearerResult::kMalformed, {}};
  while (i < token.size() && token[i] == '=') ++i;
  if (i != token.size()) return {BearerResult::kMalformed, {}};
  return {BearerResult::kOk, token};
}

}  // namespace st::verifier
