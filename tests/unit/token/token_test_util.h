// Shared fixtures for the token tests: deterministic random sources and
// published JOSE test vectors (RFC 8037 Appendix A, RFC 7515 Appendix A.3).
#pragma once

#include <gtest/gtest.h>

#include <span>
#include <string>
#include <string_view>

#include "controller/status.h"
#include "token/claims.h"
#include "token/encoding.h"
#include "token/public_key.h"
#include "token/random_source.h"

namespace sttest {

// Yields 0, 1, 2, ... as bytes. Single-threaded tests only.
class CountingRandomSource final : public st::RandomSource {
 public:
  ctrl::Status fill(std::span<unsigned char> out) override {
    for (unsigned char& b : out) b = next_++;
    return ctrl::Status::ok();
  }

 private:
  unsigned char next_ = 0;
};

class FailingRandomSource final : public st::RandomSource {
 public:
  ctrl::Status fill(std::span<unsigned char> /*out*/) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "entropy exhausted");
  }
};

// RFC 8037 A.1: Ed25519 private seed `d` and public key `x`.
inline constexpr std::string_view kRfc8037D = "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A";
inline constexpr std::string_view kRfc8037X = "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo";
// RFC 8037 A.3: the key's RFC 7638 thumbprint.
inline constexpr std::string_view kRfc8037Thumbprint =
    "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k";
// RFC 8037 A.4: signing input and signature of "Example of Ed25519 signing".
inline constexpr std::string_view kRfc8037SigningInput =
    "eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc";
inline constexpr std::string_view kRfc8037Signature =
    "hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg";

// RFC 7515 A.3: an ES256 public key and a JWS made with it.
inline constexpr std::string_view kRfc7515X = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
inline constexpr std::string_view kRfc7515Y = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
inline constexpr std::string_view kRfc7515SigningInput =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlf"
    "Q";
inline constexpr std::string_view kRfc7515Signature =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
// Thumbprint of that key, computed independently (Python hashlib over the
// RFC 7638 canonical JSON).
inline constexpr std::string_view kRfc7515Thumbprint =
    "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U";

// Test-name generator for suites parameterised by algorithm.
inline std::string algorithmName(const ::testing::TestParamInfo<st::KeyAlgorithm>& info) {
  return std::string(st::keyAlgorithmName(info.param));
}

inline std::string decodeB64Url(std::string_view text) {
  auto decoded = st::base64UrlDecode(text);
  return decoded.isOk() ? *decoded : std::string();
}

// Claims as the issuing reconciler would fill them for a 30-day token.
inline st::TokenClaims sampleClaims() {
  st::TokenClaims claims;
  claims.issuer = "https://servicetoken.dev/test";
  claims.subject = "pipeline_automation@service";
  claims.name = "Airflow Service User";
  claims.email = "airflow@example.com";
  claims.issuedAt = std::chrono::sys_seconds(std::chrono::seconds(1700000000));
  claims.expiresAt = claims.issuedAt + std::chrono::days(30);
  claims.tokenId = "000102030405060708090a0b0c0d0e0f";
  claims.use = st::TokenUse::kService;
  claims.scope = st::TokenScope::kApi;
  claims.audience = "https://api.example.com";
  return claims;
}

}  // namespace sttest
