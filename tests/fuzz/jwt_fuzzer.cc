// JWT/JWS verification: st::verifyJwt on the input as a compact token,
// against a JWKS holding the two fixture keys (fuzz_keys.h), plus the strict
// base64url decoder on the input and on each segment. Properties: no crash;
// malformed tokens are InvalidArgument and refused ones Unauthorized; base64url
// decoding accepts exactly the canonical encoding (decode then encode gives
// the input back); the header's kid read without verifying (st::jwtKeyId)
// is never longer than the input and is the kid of every accepted token.
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "fuzz_keys.h"
#include "token/encoding.h"
#include "token/jwt.h"

namespace {

using stfuzz::check;

void checkCanonical(std::string_view text) {
  auto decoded = st::base64UrlDecode(text);
  if (decoded.isOk()) {
    check(st::base64UrlEncode(*decoded) == text, "base64url accepted a non-canonical encoding");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view token = stfuzz::asText(data, size);

  checkCanonical(token);
  for (size_t start = 0; start <= token.size();) {
    size_t dot = token.find('.', start);
    if (dot == std::string_view::npos) dot = token.size();
    checkCanonical(token.substr(start, dot - start));
    start = dot + 1;
  }

  // 2026-01-01T00:00:00Z: after the seeds' iat, before most of their exp.
  const ctrl::WallTime now{std::chrono::seconds(1767225600)};
  st::VerifyOptions options;
  options.leeway = std::chrono::seconds(60);
  options.issuer = "https://servicetoken.example";
  options.audience = "https://api.example";
  const std::string kid = st::jwtKeyId(token);
  check(kid.size() <= token.size(), "jwtKeyId returned more than its input");
  auto claims = st::verifyJwt(token, stfuzz::fixtureJwks(), now, options);
  if (!claims.isOk()) {
    const ctrl::Code code = claims.status().code();
    check(code == ctrl::Code::kInvalidArgument || code == ctrl::Code::kUnauthorized,
          "verifyJwt failed with a code other than InvalidArgument or Unauthorized");
    return 0;
  }
  check(claims->issuer == options.issuer && claims->audience == options.audience,
        "verifyJwt accepted a token for another issuer or audience");
  check(stfuzz::fixtureJwks().find(kid) != nullptr,
        "jwtKeyId did not name the key of an accepted token");
  return 0;
}
