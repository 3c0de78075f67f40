#include "verifier/request_path.h"

#include <vector>

namespace st::verifier {
namespace {

using ctrl::Code;
using ctrl::Status;
using ctrl::StatusOr;

Status invalid(const char* what) {
  return Status(Code::kInvalidArgument, std::string("request path: ") + what);
}

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

bool startsWithIgnoreCase(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    if (lower(s[i]) != lower(prefix[i])) return false;
  }
  return true;
}

// "scheme://authority/path" -> "/path"; origin-form is returned as is.
StatusOr<std::string_view> pathOf(std::string_view uri) {
  if (uri.empty()) return std::string_view("/");
  if (uri.front() == '/') return uri;
  for (std::string_view scheme : {"http://", "https://"}) {
    if (startsWithIgnoreCase(uri, scheme)) {
      const size_t slash = uri.find('/', scheme.size());
      return slash == std::string_view::npos ? std::string_view("/") : uri.substr(slash);
    }
  }
  return invalid("not an origin-form or http(s) absolute-form URI");
}

StatusOr<std::string> percentDecode(std::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (size_t i = 0; i < path.size(); ++i) {
    char c = path[i];
    if (c == '%') {
      if (i + 2 >= path.size()) return invalid("truncated percent-escape");
      const int hi = hexValue(path[i + 1]);
      const int lo = hexValue(path[i + 2]);
      if (hi < 0 || lo < 0) return invalid("malformed percent-escape");
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
      // Double encoding ("%252e") would decode to a different path on a
      // second pass: refuse it rather than guess how often the upstream
      // decodes.
      if (c == '%') return invalid("percent-encoded '%' (double encoding)");
    }
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7f) return invalid("control character");
    out.push_back(c == '\\' ? '/' : c);
  }
  return out;
}

}  // namespace

StatusOr<std::string> normalizeRequestPath(std::string_view uri) {
  if (uri.size() > kMaxUriBytes) return invalid("longer than 8192 bytes");
  auto path = pathOf(uri);
  if (!path.isOk()) return path.status();
  std::string_view raw = *path;
  raw = raw.substr(0, raw.find_first_of("?#"));
  auto decoded = percentDecode(raw);
  if (!decoded.isOk()) return decoded.status();

  // `text` starts with '/', so its first segment (before that slash) is
  // empty and dropped like every other empty one.
  std::vector<std::string_view> segments;
  const std::string_view text = *decoded;
  std::string_view segment;
  size_t seen = 0;
  for (size_t start = 0; start <= text.size();) {
    size_t end = text.find('/', start);
    if (end == std::string_view::npos) end = text.size();
    if (++seen > 2 * kMaxSegments) return invalid("too many segments");
    segment = text.substr(start, end - start);
    segment = segment.substr(0, segment.find(';'));
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = end + 1;
  }
  // "/a/", "/a/." and "/a/b/.." all name a directory.
  const bool trailingSlash = segment.empty() || segment == "." || segment == "..";
  if (segments.size() > kMaxSegments) return invalid("too many segments");

  std::string out;
  out.reserve(text.size() + 1);
  for (std::string_view kept : segments) {
    out.push_back('/');
    out.append(kept);
  }
  if (out.empty() || trailingSlash) out.push_back('/');
  return out;
}

bool isScimPath(std::string_view normalizedPath) {
  return startsWithIgnoreCase(normalizedPath, kScimPrefix);
}

}  // namespace st::verifier
