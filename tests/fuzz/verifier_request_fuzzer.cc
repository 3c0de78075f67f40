// The verifier's request parsing: the input is a forward-auth request as a
// proxy sends it, the request-target on the first line and "Name: value"
// headers on the next ones. st::verifier::forwardAuthInput picks the
// Authorization header and the original URI; extractBearer and
// normalizeRequestPath parse them (and the whole input too, unconstrained).
// Properties: no crash; a bearer token is a non-empty b64token inside the
// header; a normalised path starts with '/', has no empty, "." or ".."
// segment, no '%' (decoding happens once) and no '\', ';' or control
// character, and normalises to itself (unless it holds a decoded '?' or '#',
// which a second pass would read as a query).
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "fuzz_check.h"
#include "verifier/bearer.h"
#include "verifier/forward_auth.h"
#include "verifier/request_path.h"

namespace {

using stfuzz::check;

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// A request read from the fuzz input.
class FuzzRequest final : public ctrl::HttpServerRequest {
 public:
  explicit FuzzRequest(std::string_view text) {
    size_t start = 0;
    bool first = true;
    while (start <= text.size()) {
      size_t nl = text.find('\n', start);
      if (nl == std::string_view::npos) nl = text.size();
      const std::string_view line = text.substr(start, nl - start);
      start = nl + 1;
      if (first) {
        target_ = line;
        first = false;
        continue;
      }
      const size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string_view value = line.substr(colon + 1);
      if (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      headers_.emplace_back(line.substr(0, colon), value);
    }
  }

  std::string_view method() const override { return "GET"; }
  std::string_view target() const override { return target_; }
  std::string_view path() const override { return target_.substr(0, target_.find('?')); }
  std::string_view header(std::string_view name) const override {
    for (const auto& [n, v] : headers_) {
      if (equalsIgnoreCase(n, name)) return v;
    }
    return {};
  }
  size_t headerCount(std::string_view name) const override {
    size_t count = 0;
    for (const auto& [n, v] : headers_) count += equalsIgnoreCase(n, name) ? 1 : 0;
    return count;
  }
  std::string_view body() const override { return {}; }

 private:
  std::string_view target_;
  std::vector<std::pair<std::string_view, std::string_view>> headers_;
};

bool isB64TokenChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
}

void checkBearer(std::string_view header) {
  const st::verifier::Bearer bearer = st::verifier::extractBearer(header);
  if (header.size() > st::verifier::kMaxAuthorizationBytes) {
    check(bearer.result == st::verifier::BearerResult::kTooLarge, "an oversized header parsed");
  }
  if (bearer.result != st::verifier::BearerResult::kOk) {
    check(bearer.token.empty(), "a token returned with an error");
    return;
  }
  const std::string_view token = bearer.token;
  check(!token.empty(), "an empty bearer token");
  check(
      token.data() >= header.data() && token.data() + token.size() <= header.data() + header.size(),
      "the token does not view the header");
  size_t i = 0;
  while (i < token.size() && isB64TokenChar(token[i])) ++i;
  check(i > 0, "a token starting with '='");
  while (i < token.size() && token[i] == '=') ++i;
  check(i == token.size(), "a token with characters outside b64token");
}

void checkPath(std::string_view uri) {
  auto path = st::verifier::normalizeRequestPath(uri);
  if (!path.isOk()) {
    check(path.status().code() == ctrl::Code::kInvalidArgument, "not InvalidArgument");
    return;
  }
  const std::string& p = *path;
  check(!p.empty() && p.front() == '/', "a normalised path not starting with '/'");
  check(p.find("//") == std::string::npos, "an empty segment survived");
  for (std::string_view dots : {"/./", "/../"}) {
    check(p.find(dots) == std::string::npos, "a dot segment survived");
  }
  check(!p.ends_with("/.") && !p.ends_with("/.."), "a trailing dot segment survived");
  for (char c : p) {
    const auto byte = static_cast<unsigned char>(c);
    check(byte >= 0x20 && byte != 0x7f && c != '\\' && c != ';',
          "a control character, '\\' or ';' survived");
  }
  check(p.find('%') == std::string::npos, "a '%' survived percent-decoding");
  if (p.find_first_of("?#") == std::string::npos) {
    auto again = st::verifier::normalizeRequestPath(p);
    check(again.isOk() && *again == p, "normalising is not idempotent");
  }
  (void)st::verifier::isScimPath(p);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stfuzz::asText(data, size);
  checkBearer(text);
  checkPath(text);

  const FuzzRequest request(text);
  const st::verifier::ForwardAuthInput input = st::verifier::forwardAuthInput(request);
  checkBearer(input.authorization);
  if (input.originalUri) checkPath(*input.originalUri);
  return 0;
}
