#include "token/jwt.h"

#include <utility>

#include "controller/json.h"
#include "token/encoding.h"
#include "token/token_hash.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;

// Header and claims are flat objects; the depth limit leaves room for an
// array-valued claim we ignore.
constexpr ctrl::JsonLimits kSegmentLimits{.maxBytes = kMaxTokenBytes, .maxDepth = 4};

Status malformed(std::string message) {
  return Status(Code::kInvalidArgument, "malformed token: " + std::move(message));
}

Status rejected(std::string message) {
  return Status(Code::kUnauthorized, "token rejected: " + std::move(message));
}

StatusOr<std::string> dump(const Json& json) {
  try {
    return json.dump();
  } catch (const Json::exception&) {
    // dump() throws only for strings that are not UTF-8; never quote them.
    return Status(Code::kInvalidArgument, "token claims contain invalid UTF-8");
  }
}

const std::string* stringMember(const Json& json, const char* name) {
  auto it = json.find(name);
  return it != json.end() && it->is_string() ? &it->get_ref<const std::string&>() : nullptr;
}

StatusOr<Json> decodeSegment(std::string_view segment, const char* what) {
  auto decoded = base64UrlDecode(segment);
  if (!decoded.isOk()) return malformed(std::string(what) + " is not valid base64url");
  auto json = ctrl::parseJson(*decoded, kSegmentLimits);
  if (!json.isOk()) return json.status().withContext(std::string("malformed token: ") + what);
  if (!json->is_object()) return malformed(std::string(what) + " is not a JSON object");
  return std::move(json).value();
}

// Checks the header and returns the key that must have signed the token.
// Sets `why` on failure.
StatusOr<const PublicKey*> keyForHeader(const Json& header, const Jwks& keys, JwtRejection& why) {
  why = JwtRejection::kMalformed;
  const std::string* alg = stringMember(header, "alg");
  if (!alg) return malformed("header has no \"alg\"");
  // An allow-list, so "none", HMAC and RSA algorithms are refused outright.
  if (*alg != jwsAlgorithm(KeyAlgorithm::kEd25519) && *alg != jwsAlgorithm(KeyAlgorithm::kEs256)) {
    why = JwtRejection::kAlgorithm;
    return rejected("algorithm is not allowed (allowed: EdDSA, ES256)");
  }
  if (header.contains("typ")) {
    const std::string* typ = stringMember(header, "typ");
    if (!typ || *typ != "JWT") return malformed("header \"typ\" is not \"JWT\"");
  }
  // RFC 7515 §4.1.11: extensions we do not understand must not be ignored.
  if (header.contains("crit")) {
    why = JwtRejection::kAlgorithm;
    return rejected("header has critical extensions");
  }
  const std::string* kid = stringMember(header, "kid");
  if (!kid) return malformed("header has no \"kid\"");
  const PublicKey* key = keys.find(*kid);
  if (!key) {
    why = JwtRejection::kUnknownKey;
    return rejected("signing key is unknown");
  }
  if (jwsAlgorithm(key->algorithm()) != *alg) {
    why = JwtRejection::kAlgorithm;
    return rejected("algorithm does not match the signing key");
  }
  return key;
}

}  // namespace

StatusOr<SecretString> signJwt(const TokenClaims& claims, const SigningKey& key) {
  const Json header = {
      {"alg", std::string(jwsAlgorithm(key.algorithm()))}, {"kid", key.kid()}, {"typ", "JWT"}};
  auto headerText = dump(header);
  if (!headerText.isOk()) return headerText.status();
  auto claimsText = dump(claimsToJson(claims));
  if (!claimsText.isOk()) return claimsText.status();

  std::string token = base64UrlEncode(*headerText) + "." + base64UrlEncode(*claimsText);
  auto signature = key.sign(token);
  if (!signature.isOk()) return signature.status();
  token += '.';
  token += base64UrlEncode(*signature);
  if (token.size() > kMaxTokenBytes) {
    return Status(Code::kInvalidArgument,
                  "token would be larger than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  return SecretString(std::move(token));
}

StatusOr<MintedToken> mintToken(TokenClaims claims, const SigningKey& key, RandomSource& random) {
  auto tokenId = newTokenId(random);
  if (!tokenId.isOk()) return tokenId.status();
  claims.tokenId = std::move(tokenId).value();
  auto token = signJwt(claims, key);
  if (!token.isOk()) return token.status();
  std::string hash = tokenHash(*token);
  return MintedToken{std::move(token).value(), std::move(claims), std::move(hash)};
}

StatusOr<SignedJwt> verifyJwtSignature(std::string_view token, const Jwks& keys,
                                       JwtRejection* rejection) {
  JwtRejection ignored = JwtRejection::kMalformed;
  JwtRejection& why = rejection != nullptr ? *rejection : ignored;
  why = JwtRejection::kMalformed;
  if (token.size() > kMaxTokenBytes) {
    return malformed("larger than " + std::to_string(kMaxTokenBytes) + " bytes");
  }
  const size_t first = token.find('.');
  const size_t second = first == std::string_view::npos ? first : token.find('.', first + 1);
  if (second == std::string_view::npos || token.find('.', second + 1) != std::string_view::npos) {
    return malformed("not three dot-separated segments");
  }

  auto header = decodeSegment(token.substr(0, first), "header");
  if (!header.isOk()) return header.status();
  auto key = keyForHeader(*header, keys, why);
  if (!key.isOk()) return key.status();
  why = JwtRejection::kMalformed;

  auto signature = base64UrlDecode(token.substr(second + 1));
  if (!signature.isOk()) return malformed("signature is not valid base64url");
  if (Status status = (*key)->verify(token.substr(0, second), *signature); !status.isOk()) {
    if (status.code() != Code::kUnauthorized) return status;
    why = JwtRejection::kSignature;
    return rejected("invalid signature");
  }

  // Only a correctly signed payload is parsed.
  auto payload = decodeSegment(token.substr(first + 1, second - first - 1), "claims");
  if (!payload.isOk()) return payload.status();
  auto claims = claimsFromJson(*payload);
  if (!claims.isOk()) return claims.status().withContext("malformed token");
  SignedJwt out{std::move(claims).value(), std::nullopt};
  if (payload->contains("nbf")) {
    auto nbf = numericDateClaim(*payload, "nbf");
    if (!nbf.isOk()) return nbf.status().withContext("malformed token");
    out.notBefore = *nbf;
  }
  return out;
}

StatusOr<TokenClaims> verifyJwt(std::string_view token, const Jwks& keys, ctrl::WallTime now,
                                const VerifyOptions& options) {
  auto verified = verifyJwtSignature(token, keys);
  if (!verified.isOk()) return verified.status();
  TokenClaims& claims = verified->claims;
  // Compared in seconds: an exp up to year 9999 (claimsFromJson's limit) does
  // not fit the nanoseconds of a WallTime. exp is whole seconds, so this is
  // the same test as now >= exp + leeway.
  if (!options.ignoreExpiry && claims.expiresAt &&
      std::chrono::floor<std::chrono::seconds>(now) >= *claims.expiresAt + options.leeway) {
    return rejected("expired");
  }
  if (!options.issuer.empty() && claims.issuer != options.issuer) {
    return rejected("issuer does not match");
  }
  if (!options.audience.empty() && claims.audience != options.audience) {
    return rejected("audience does not match");
  }
  return std::move(claims);
}

std::string jwtKeyId(std::string_view token) {
  if (token.size() > kMaxTokenBytes) return "";
  const size_t dot = token.find('.');
  if (dot == std::string_view::npos) return "";
  auto header = decodeSegment(token.substr(0, dot), "header");
  if (!header.isOk()) return "";
  const std::string* kid = stringMember(*header, "kid");
  return kid == nullptr ? "" : *kid;
}

}  // namespace st
