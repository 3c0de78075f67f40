// The claims of a service token (PRODUCT.md §4) as a plain struct, with its
// JSON codec and the token id generator.
//
//   iss        issuer (configurable)              sub   userId or owner
//   name       display name                       email optional
//   iat / exp  NumericDate seconds; exp absent for Never
//   jti        token id: 128 random bits as 32 lowercase hex characters
//   token_use  "service" | "personal"             scope "scim" | "api"
//   aud        audience, a single string
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "controller/json.h"
#include "controller/status.h"
#include "token/random_source.h"

namespace st {

enum class TokenUse { kService, kPersonal };
enum class TokenScope { kApi, kScim };

std::string_view tokenUseName(TokenUse use);        // "service" | "personal"
std::string_view tokenScopeName(TokenScope scope);  // "api" | "scim"

struct TokenClaims {
  std::string issuer;
  std::string subject;
  std::string name;
  std::optional<std::string> email;
  std::chrono::sys_seconds issuedAt{};
  std::optional<std::chrono::sys_seconds> expiresAt;  // nullopt: Never
  std::string tokenId;
  TokenUse use = TokenUse::kService;
  TokenScope scope = TokenScope::kApi;
  std::string audience;

  friend bool operator==(const TokenClaims&, const TokenClaims&) = default;
};

// The JWT claims object. Thread-safe.
ctrl::Json claimsToJson(const TokenClaims& claims);

// Decodes a claims object. Requires string iss, sub, name, jti, aud (a string,
// not an array), token_use and scope with the values above, integer iat and
// (when present) exp within years 1970..9999; email, when present, a string.
// Other claims are ignored. Errors: InvalidArgument naming the claim (never
// its value). Thread-safe.
ctrl::StatusOr<TokenClaims> claimsFromJson(const ctrl::Json& json);

// Reads the NumericDate claim `name` of a claims object: an integer within
// years 1970..9999. Errors: InvalidArgument naming the claim (also when it is
// missing). Thread-safe.
ctrl::StatusOr<std::chrono::sys_seconds> numericDateClaim(const ctrl::Json& json, const char* name);

// The audience of SCIM-only tokens minted for `audience`: "<audience>/scim".
// A SCIM token is thereby refused by any consumer that checks the audience
// of ordinary API tokens, even one that ignores the `scope` claim.
std::string scimAudience(std::string_view audience);

// Draws a new token id: 16 bytes from `random` as 32 lowercase hex
// characters. Hex (not base64url) because the id also appears in
// annotations, status and file names, where a leading '-' or '_' is awkward.
// Errors: those of `random`.
ctrl::StatusOr<std::string> newTokenId(RandomSource& random);

}  // namespace st
