// OIDC discovery (OpenID Connect Discovery 1.0 §4) for consumers that verify
// tokens offline: /.well-known/openid-configuration names the tokens' issuer
// and a jwks_uri served by the verifier (/openid/v1/jwks, the path
// kube-apiserver uses for its own). Offline verifiers cannot see revocation:
// a revoked or rotated-out token verifies until its exp.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "token/jwks.h"

namespace st::verifier {

inline constexpr std::string_view kDiscoveryPath = "/.well-known/openid-configuration";
inline constexpr std::string_view kJwksPath = "/openid/v1/jwks";

// `issuer` without trailing slashes, then kJwksPath.
std::string jwksUri(std::string_view issuer);

// The discovery document for `issuer` (JSON text).
std::string discoveryDocument(std::string_view issuer);

// The paths to serve each document on: the root ones, and, when the issuer
// URL has a path ("https://host/auth"), the same under that path (where a
// client following the issuer will look).
std::vector<std::string> discoveryPaths(std::string_view issuer);
std::vector<std::string> jwksPaths(std::string_view issuer);

}  // namespace st::verifier
