#include "verifier/discovery.h"

#include "controller/json.h"

namespace st::verifier {
namespace {

std::string_view trimSlashes(std::string_view s) {
  while (!s.empty() && s.back() == '/') s.remove_suffix(1);
  return s;
}

// The path part of an absolute URL without trailing slashes; "" when none.
std::string_view urlPath(std::string_view url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string_view::npos) return {};
  const size_t slash = url.find('/', scheme + 3);
  if (slash == std::string_view::npos) return {};
  std::string_view path = url.substr(slash);
  path = path.substr(0, path.find_first_of("?#"));
  return trimSlashes(path);
}

std::vector<std::string> pathsFor(std::string_view issuer, std::string_view path) {
  std::vector<std::string> out{std::string(path)};
  const std::string_view base = urlPath(issuer);
  if (!base.empty()) out.push_back(std::string(base) + std::string(path));
  return out;
}

}  // namespace

std::string jwksUri(std::string_view issuer) {
  return std::string(trimSlashes(issuer)) + std::string(kJwksPath);
}

std::string discoveryDocument(std::string_view issuer) {
  ctrl::Json doc = {
      {"issuer", std::string(issuer)},
      {"jwks_uri", jwksUri(issuer)},
      {"response_types_supported", {"id_token"}},
      {"subject_types_supported", {"public"}},
      {"id_token_signing_alg_values_supported", {"EdDSA", "ES256"}},
      {"claims_supported",
       {"iss", "sub", "aud", "exp", "iat", "jti", "name", "email", "scope", "token_use"}},
      {"scopes_supported", {"api", "scim"}},
  };
  return doc.dump();
}

std::vector<std::string> discoveryPaths(std::string_view issuer) {
  return pathsFor(issuer, kDiscoveryPath);
}

std::vector<std::string> jwksPaths(std::string_view issuer) {
  // The jwks_uri's own path, plus the root one.
  std::vector<std::string> out{std::string(kJwksPath)};
  const std::string uri = jwksUri(issuer);  // urlPath() views into it
  const std::string_view path = urlPath(uri);
  if (path != kJwksPath) out.push_back(std::string(path));
  return out;
}

}  // namespace st::verifier
