#include "token/claims.h"

#include <array>
#include <cstdint>
#include <string_view>

#include "token/encoding.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;

constexpr int64_t kMaxNumericDate = 253402300799;  // 9999-12-31T23:59:59Z
constexpr size_t kTokenIdBytes = 16;

Status badClaim(std::string_view name, std::string_view problem) {
  return Status(Code::kInvalidArgument,
                "claim \"" + std::string(name) + "\" " + std::string(problem));
}

StatusOr<std::string> stringClaim(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end()) return badClaim(name, "is missing");
  if (!it->is_string()) return badClaim(name, "is not a string");
  return it->get<std::string>();
}

}  // namespace

StatusOr<std::chrono::sys_seconds> numericDateClaim(const Json& json, const char* name) {
  auto it = json.find(name);
  if (it == json.end()) return badClaim(name, "is missing");
  int64_t seconds = 0;
  if (it->is_number_unsigned()) {
    const uint64_t value = it->get<uint64_t>();
    if (value > static_cast<uint64_t>(kMaxNumericDate)) return badClaim(name, "is out of range");
    seconds = static_cast<int64_t>(value);
  } else if (it->is_number_integer()) {
    seconds = it->get<int64_t>();
  } else {
    return badClaim(name, "is not an integer NumericDate");
  }
  if (seconds < 0 || seconds > kMaxNumericDate) return badClaim(name, "is out of range");
  return std::chrono::sys_seconds(std::chrono::seconds(seconds));
}

std::string scimAudience(std::string_view audience) { return std::string(audience) + "/scim"; }

std::string_view tokenUseName(TokenUse use) {
  return use == TokenUse::kService ? "service" : "personal";
}

std::string_view tokenScopeName(TokenScope scope) {
  return scope == TokenScope::kScim ? "scim" : "api";
}

Json claimsToJson(const TokenClaims& claims) {
  Json json = Json::object();
  json["iss"] = claims.issuer;
  json["sub"] = claims.subject;
  json["name"] = claims.name;
  if (claims.email) json["email"] = *claims.email;
  json["iat"] = static_cast<int64_t>(claims.issuedAt.time_since_epoch().count());
  if (claims.expiresAt) {
    json["exp"] = static_cast<int64_t>(claims.expiresAt->time_since_epoch().count());
  }
  json["jti"] = claims.tokenId;
  json["token_use"] = std::string(tokenUseName(claims.use));
  json["scope"] = std::string(tokenScopeName(claims.scope));
  json["aud"] = claims.audience;
  return json;
}

StatusOr<TokenClaims> claimsFromJson(const Json& json) {
  if (!json.is_object()) return Status(Code::kInvalidArgument, "claims are not a JSON object");
  TokenClaims claims;
  struct Field {
    const char* name;
    std::string* out;
  };
  for (Field field : std::array<Field, 5>{{{"iss", &claims.issuer},
                                           {"sub", &claims.subject},
                                           {"name", &claims.name},
                                           {"jti", &claims.tokenId},
                                           {"aud", &claims.audience}}}) {
    auto value = stringClaim(json, field.name);
    if (!value.isOk()) return value.status();
    *field.out = std::move(value).value();
  }
  if (json.contains("email")) {
    auto email = stringClaim(json, "email");
    if (!email.isOk()) return email.status();
    claims.email = std::move(email).value();
  }

  auto issuedAt = numericDateClaim(json, "iat");
  if (!issuedAt.isOk()) return issuedAt.status();
  claims.issuedAt = *issuedAt;
  if (json.contains("exp")) {
    auto expiresAt = numericDateClaim(json, "exp");
    if (!expiresAt.isOk()) return expiresAt.status();
    claims.expiresAt = *expiresAt;
  }

  auto use = stringClaim(json, "token_use");
  if (!use.isOk()) return use.status();
  if (*use == "service") {
    claims.use = TokenUse::kService;
  } else if (*use == "personal") {
    claims.use = TokenUse::kPersonal;
  } else {
    return badClaim("token_use", "is neither \"service\" nor \"personal\"");
  }

  auto scope = stringClaim(json, "scope");
  if (!scope.isOk()) return scope.status();
  if (*scope == "api") {
    claims.scope = TokenScope::kApi;
  } else if (*scope == "scim") {
    claims.scope = TokenScope::kScim;
  } else {
    return badClaim("scope", "is neither \"api\" nor \"scim\"");
  }
  return claims;
}

StatusOr<std::string> newTokenId(RandomSource& random) {
  std::array<unsigned char, kTokenIdBytes> bytes{};
  if (Status status = random.fill(bytes); !status.isOk()) {
    return status.withContext("cannot draw a token id");
  }
  return hexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}

}  // namespace st
