// JWT claims: the input is a claims object; st::claimsFromJson decodes it and,
// when it is valid, the token is signed with a fixture key (Ed25519 or ES256,
// by the input's length) and verified again. Properties: no crash; what is
// signed verifies to the same claims unless expired (then Unauthorized).
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "controller/json.h"
#include "fuzz_check.h"
#include "fuzz_keys.h"
#include "token/claims.h"
#include "token/jwt.h"

using stfuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto json = ctrl::parseJson(stfuzz::asText(data, size), {.maxBytes = 8192, .maxDepth = 4});
  if (!json.isOk()) return 0;
  auto claims = st::claimsFromJson(*json);
  if (!claims.isOk()) {
    check(claims.status().code() == ctrl::Code::kInvalidArgument,
          "claimsFromJson failed with a code other than InvalidArgument");
    return 0;
  }

  const st::SigningKey& key = size % 2 == 0 ? stfuzz::ed25519Key() : stfuzz::es256Key();
  auto token = st::signJwt(*claims, key);
  if (!token.isOk()) {
    check(token.status().code() == ctrl::Code::kInvalidArgument,
          "signJwt failed with a code other than InvalidArgument");
    return 0;
  }

  const ctrl::WallTime now{std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z
  auto verified = st::verifyJwt(token->reveal(), stfuzz::fixtureJwks(), now);
  // In seconds: an exp up to year 9999 does not fit a nanosecond time point.
  const bool expired =
      claims->expiresAt && *claims->expiresAt <= std::chrono::floor<std::chrono::seconds>(now);
  if (expired) {
    check(!verified.isOk() && verified.status().code() == ctrl::Code::kUnauthorized,
          "an expired token verified");
  } else {
    check(verified.isOk(), "a freshly signed token does not verify");
    check(*verified == *claims, "sign/verify changed the claims");
  }
  return 0;
}
