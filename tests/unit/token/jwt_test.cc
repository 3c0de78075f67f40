#include "token/jwt.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "token/token_hash.h"
#include "token_test_util.h"

namespace {

using ctrl::Json;
using std::chrono::seconds;

// The wall time at which sampleClaims() were issued.
ctrl::WallTime issueTime() { return ctrl::WallTime(seconds(1700000000)); }

std::vector<std::string> split(std::string_view token) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (size_t dot = token.find('.'); dot != std::string_view::npos; dot = token.find('.', start)) {
    parts.emplace_back(token.substr(start, dot - start));
    start = dot + 1;
  }
  parts.emplace_back(token.substr(start));
  return parts;
}

std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (size_t i = 0; i < parts.size(); ++i) out += (i ? "." : "") + parts[i];
  return out;
}

std::string encodeJson(const Json& json) { return st::base64UrlEncode(json.dump()); }

class JwtTest : public ::testing::TestWithParam<st::KeyAlgorithm> {
 protected:
  void SetUp() override {
    auto key = st::SigningKey::generate(GetParam());
    ASSERT_TRUE(key.isOk());
    key_ = std::make_unique<st::SigningKey>(std::move(key).value());
    auto jwks = st::Jwks::fromKeys({key_->publicKey()});
    ASSERT_TRUE(jwks.isOk());
    jwks_ = std::move(jwks).value();
  }

  std::string sign(const st::TokenClaims& claims) {
    auto token = st::signJwt(claims, *key_);
    EXPECT_TRUE(token.isOk()) << token.status().toString();
    return token.isOk() ? std::string(token->reveal()) : std::string();
  }

  ctrl::StatusOr<st::TokenClaims> verify(std::string_view token, ctrl::WallTime now = issueTime(),
                                         const st::VerifyOptions& options = {}) {
    return st::verifyJwt(token, jwks_, now, options);
  }

  // Re-signs arbitrary header/claims JSON with the test key.
  std::string forge(const Json& header, const Json& claims) {
    const std::string input = encodeJson(header) + "." + encodeJson(claims);
    auto signature = key_->sign(input);
    EXPECT_TRUE(signature.isOk());
    return input + "." + st::base64UrlEncode(*signature);
  }

  Json header() const {
    return {
        {"alg", std::string(st::jwsAlgorithm(GetParam()))}, {"kid", key_->kid()}, {"typ", "JWT"}};
  }

  std::unique_ptr<st::SigningKey> key_;
  st::Jwks jwks_;
};

TEST_P(JwtTest, SignVerifyRoundTrip) {
  const std::string token = sign(sttest::sampleClaims());
  auto claims = verify(token);
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(*claims, sttest::sampleClaims());
}

TEST_P(JwtTest, HeaderNamesAlgorithmKidAndType) {
  const auto parts = split(sign(sttest::sampleClaims()));
  ASSERT_EQ(parts.size(), 3u);
  const Json decoded = Json::parse(sttest::decodeB64Url(parts[0]));
  EXPECT_EQ(decoded, header());
  EXPECT_EQ(sttest::decodeB64Url(parts[2]).size(), 64u);  // raw signature, also for ES256
  for (const std::string& part : parts) {
    EXPECT_EQ(part.find_first_of("=+/"), std::string::npos) << "not unpadded base64url";
  }
}

TEST_P(JwtTest, KeyIdIsReadFromTheHeaderWithoutVerifying) {
  const std::string token = sign(sttest::sampleClaims());
  EXPECT_EQ(st::jwtKeyId(token), key_->kid());
  EXPECT_EQ(st::jwtKeyId(token.substr(0, token.find('.'))), "") << "no header segment";
  EXPECT_EQ(st::jwtKeyId(""), "");
  EXPECT_EQ(st::jwtKeyId("!!!." + token.substr(token.find('.') + 1)), "");
  // A header without a kid, and one whose kid is not a string.
  EXPECT_EQ(st::jwtKeyId("eyJhbGciOiJFZERTQSJ9.e30.sig"), "");             // {"alg":"EdDSA"}
  EXPECT_EQ(st::jwtKeyId("eyJhbGciOiJFZERTQSIsImtpZCI6MX0.e30.sig"), "");  // "kid":1
  EXPECT_EQ(st::jwtKeyId(std::string(st::kMaxTokenBytes + 1, 'a')), "") << "larger than the limit";
}

TEST_P(JwtTest, NeverExpiringTokenHasNoExpAndStaysValid) {
  st::TokenClaims claims = sttest::sampleClaims();
  claims.expiresAt.reset();
  const std::string token = sign(claims);
  EXPECT_FALSE(Json::parse(sttest::decodeB64Url(split(token)[1])).contains("exp"));
  auto verified = verify(token, issueTime() + std::chrono::years(50));
  ASSERT_TRUE(verified.isOk()) << verified.status().toString();
  EXPECT_FALSE(verified->expiresAt.has_value());
}

TEST_P(JwtTest, ExpiryUsesTheInjectedTime) {
  const st::TokenClaims claims = sttest::sampleClaims();
  const std::string token = sign(claims);
  const ctrl::WallTime exp(claims.expiresAt->time_since_epoch());
  EXPECT_TRUE(verify(token, exp - seconds(1)).isOk());
  auto expired = verify(token, exp);
  ASSERT_FALSE(expired.isOk());
  EXPECT_EQ(expired.status().code(), ctrl::Code::kUnauthorized);
  EXPECT_NE(expired.status().message().find("expired"), std::string::npos);
  st::VerifyOptions lenient;
  lenient.leeway = seconds(60);
  EXPECT_TRUE(verify(token, exp + seconds(59), lenient).isOk());
  EXPECT_FALSE(verify(token, exp + seconds(60), lenient).isOk());
}

// Found by fuzzing (tests/fuzz/jwt_claims): an exp beyond 2262 overflowed
// when compared with the nanosecond clock, and such a token was reported as
// expired (or, under UBSan, aborted).
TEST_P(JwtTest, ExpiryUpToYear9999IsComparedWithoutOverflow) {
  st::TokenClaims claims = sttest::sampleClaims();
  claims.expiresAt = std::chrono::sys_seconds(seconds(253402300799));  // 9999-12-31T23:59:59Z
  const std::string token = sign(claims);
  st::VerifyOptions lenient;
  lenient.leeway = seconds(60);
  auto verified = verify(token, issueTime(), lenient);
  ASSERT_TRUE(verified.isOk()) << verified.status().toString();
  EXPECT_EQ(verified->expiresAt, claims.expiresAt);
  // The latest time the clock holds is still before that exp.
  EXPECT_TRUE(verify(token, ctrl::WallTime::max()).isOk());
}

TEST_P(JwtTest, IssuerAndAudienceAreCheckedWhenAsked) {
  const std::string token = sign(sttest::sampleClaims());
  st::VerifyOptions options;
  options.issuer = "https://servicetoken.dev/test";
  options.audience = "https://api.example.com";
  EXPECT_TRUE(verify(token, issueTime(), options).isOk());
  options.audience = "https://other.example.com";
  EXPECT_EQ(verify(token, issueTime(), options).status().code(), ctrl::Code::kUnauthorized);
  options.audience.clear();
  options.issuer = "https://evil.example.com";
  EXPECT_EQ(verify(token, issueTime(), options).status().code(), ctrl::Code::kUnauthorized);
}

TEST_P(JwtTest, TamperedTokensAreRejected) {
  const std::string token = sign(sttest::sampleClaims());
  const auto parts = split(token);

  // Payload: a different subject with the original signature.
  Json claims = Json::parse(sttest::decodeB64Url(parts[1]));
  claims["sub"] = "admin@service";
  auto payload = verify(join({parts[0], encodeJson(claims), parts[2]}));
  ASSERT_FALSE(payload.isOk());
  EXPECT_EQ(payload.status().code(), ctrl::Code::kUnauthorized);

  // Signature: one bit flipped.
  std::string signature = sttest::decodeB64Url(parts[2]);
  signature[10] = static_cast<char>(signature[10] ^ 1);
  auto sig = verify(join({parts[0], parts[1], st::base64UrlEncode(signature)}));
  ASSERT_FALSE(sig.isOk());
  EXPECT_EQ(sig.status().code(), ctrl::Code::kUnauthorized);

  // Header: an extra member changes the signed bytes.
  Json hdr = header();
  hdr["x"] = 1;
  auto head = verify(join({encodeJson(hdr), parts[1], parts[2]}));
  ASSERT_FALSE(head.isOk());
  EXPECT_EQ(head.status().code(), ctrl::Code::kUnauthorized);

  // Signature stripped, or extra segments.
  EXPECT_FALSE(verify(join({parts[0], parts[1], ""})).isOk());
  EXPECT_FALSE(verify(join({parts[0], parts[1]})).isOk());
  EXPECT_FALSE(verify(token + ".x").isOk());
}

TEST_P(JwtTest, AlgorithmNoneIsRejected) {
  Json hdr = header();
  hdr["alg"] = "none";
  const std::string unsigned_ =
      encodeJson(hdr) + "." + encodeJson(st::claimsToJson(sttest::sampleClaims())) + ".";
  auto result = verify(unsigned_);
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), ctrl::Code::kUnauthorized);
  EXPECT_NE(result.status().message().find("not allowed"), std::string::npos);
  // Even with a valid signature attached.
  EXPECT_FALSE(verify(forge(hdr, st::claimsToJson(sttest::sampleClaims()))).isOk());
  for (const char* alg : {"None", "NONE", "HS256", "RS256", ""}) {
    hdr["alg"] = alg;
    EXPECT_FALSE(verify(forge(hdr, st::claimsToJson(sttest::sampleClaims()))).isOk()) << alg;
  }
}

TEST_P(JwtTest, HeaderRulesAreEnforced) {
  const Json claims = st::claimsToJson(sttest::sampleClaims());
  EXPECT_TRUE(verify(forge(header(), claims)).isOk());  // the forge helper itself works

  Json noTyp = header();
  noTyp.erase("typ");
  EXPECT_TRUE(verify(forge(noTyp, claims)).isOk());  // typ is optional
  Json otherTyp = header();
  otherTyp["typ"] = "at+jwt";
  EXPECT_EQ(verify(forge(otherTyp, claims)).status().code(), ctrl::Code::kInvalidArgument);
  Json crit = header();
  crit["crit"] = Json::array({"exp"});
  EXPECT_EQ(verify(forge(crit, claims)).status().code(), ctrl::Code::kUnauthorized);
  Json noKid = header();
  noKid.erase("kid");
  EXPECT_EQ(verify(forge(noKid, claims)).status().code(), ctrl::Code::kInvalidArgument);
  Json unknownKid = header();
  unknownKid["kid"] = "someone-else";
  auto unknown = verify(forge(unknownKid, claims));
  EXPECT_EQ(unknown.status().code(), ctrl::Code::kUnauthorized);
  EXPECT_NE(unknown.status().message().find("unknown"), std::string::npos);
}

TEST_P(JwtTest, SignedButMalformedClaimsAreRejected) {
  Json claims = st::claimsToJson(sttest::sampleClaims());
  claims.erase("jti");
  auto result = verify(forge(header(), claims));
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_NE(result.status().message().find("jti"), std::string::npos);
}

TEST_P(JwtTest, MalformedInputIsRejectedWithoutEchoingIt) {
  const std::string token = sign(sttest::sampleClaims());
  const auto parts = split(token);
  std::string deepHeader(200, '[');
  deepHeader += std::string(200, ']');
  const std::vector<std::string> bad = {
      "",
      "not-a-jwt",
      join({parts[0] + "=", parts[1], parts[2]}),  // padding
      join({parts[0], parts[1], parts[2] + "="}),
      join({"e30!", parts[1], parts[2]}),                            // bad alphabet
      join({st::base64UrlEncode(deepHeader), parts[1], parts[2]}),   // too deep
      join({st::base64UrlEncode("{\"alg\":"), parts[1], parts[2]}),  // broken JSON
      join({st::base64UrlEncode("[]"), parts[1], parts[2]}),         // not an object
      token + std::string(st::kMaxTokenBytes, 'A'),                  // oversized
  };
  for (const std::string& input : bad) {
    auto result = verify(input);
    ASSERT_FALSE(result.isOk()) << input.substr(0, 60);
    if (input.size() > 20) {
      EXPECT_EQ(result.status().message().find(input.substr(0, 20)), std::string::npos);
    }
    EXPECT_EQ(result.status().message().find(parts[2]), std::string::npos);
  }
}

TEST_P(JwtTest, MintDrawsTheTokenIdAndHashesTheToken) {
  sttest::CountingRandomSource random;
  st::TokenClaims claims = sttest::sampleClaims();
  claims.tokenId = "caller-value-is-replaced";
  auto minted = st::mintToken(claims, *key_, random);
  ASSERT_TRUE(minted.isOk()) << minted.status().toString();
  EXPECT_EQ(minted->claims.tokenId, "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(minted->hash, st::tokenHash(minted->token));
  auto verified = verify(minted->token.reveal());
  ASSERT_TRUE(verified.isOk());
  EXPECT_EQ(*verified, minted->claims);

  sttest::FailingRandomSource failing;
  EXPECT_FALSE(st::mintToken(claims, *key_, failing).isOk());
}

TEST_P(JwtTest, RealRandomnessGivesDistinctTokenIds) {
  auto a = st::mintToken(sttest::sampleClaims(), *key_, st::OpenSslRandomSource::instance());
  auto b = st::mintToken(sttest::sampleClaims(), *key_, st::OpenSslRandomSource::instance());
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_NE(a->claims.tokenId, b->claims.tokenId);
  EXPECT_NE(a->hash, b->hash);
}

TEST_P(JwtTest, RejectsInvalidUtf8AndOversizedClaims) {
  st::TokenClaims claims = sttest::sampleClaims();
  claims.name = "bad \xff byte";
  auto bad = st::signJwt(claims, *key_);
  ASSERT_FALSE(bad.isOk());
  EXPECT_EQ(bad.status().code(), ctrl::Code::kInvalidArgument);

  claims.name = std::string(st::kMaxTokenBytes, 'n');
  EXPECT_FALSE(st::signJwt(claims, *key_).isOk());
}

INSTANTIATE_TEST_SUITE_P(Algorithms, JwtTest,
                         ::testing::Values(st::KeyAlgorithm::kEd25519, st::KeyAlgorithm::kEs256),
                         sttest::algorithmName);

TEST(JwtCrossKeyTest, AlgorithmConfusionIsRejected) {
  auto ed = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  auto ec = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  ASSERT_TRUE(ed.isOk() && ec.isOk());
  auto jwks = st::Jwks::fromKeys({ed->publicKey(), ec->publicKey()});
  ASSERT_TRUE(jwks.isOk());
  const Json claims = st::claimsToJson(sttest::sampleClaims());

  // Header claims ES256 but names the Ed25519 key (signed with that key).
  const Json header = {{"alg", "ES256"}, {"kid", ed->kid()}, {"typ", "JWT"}};
  const std::string input = encodeJson(header) + "." + encodeJson(claims);
  auto signature = ed->sign(input);
  ASSERT_TRUE(signature.isOk());
  auto result = st::verifyJwt(input + "." + st::base64UrlEncode(*signature), *jwks, issueTime());
  ASSERT_FALSE(result.isOk());
  EXPECT_EQ(result.status().code(), ctrl::Code::kUnauthorized);
  EXPECT_NE(result.status().message().find("does not match"), std::string::npos)
      << result.status().message();

  // The reverse: EdDSA header naming the P-256 key.
  const Json reverse = {{"alg", "EdDSA"}, {"kid", ec->kid()}, {"typ", "JWT"}};
  const std::string input2 = encodeJson(reverse) + "." + encodeJson(claims);
  auto signature2 = ec->sign(input2);
  ASSERT_TRUE(signature2.isOk());
  EXPECT_FALSE(
      st::verifyJwt(input2 + "." + st::base64UrlEncode(*signature2), *jwks, issueTime()).isOk());
}

TEST(JwtCrossKeyTest, JwksWithSeveralKeysVerifiesTokensOfEach) {
  auto ed = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  auto ec = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  auto outsider = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  ASSERT_TRUE(ed.isOk() && ec.isOk() && outsider.isOk());
  auto published = st::Jwks::fromKeys({ed->publicKey(), ec->publicKey()});
  ASSERT_TRUE(published.isOk());
  // A consumer gets the JWKS as text (ConfigMap jwks.json).
  auto jwks = st::Jwks::parse(published->toString());
  ASSERT_TRUE(jwks.isOk());

  for (const st::SigningKey* key : {&*ed, &*ec}) {
    auto token = st::signJwt(sttest::sampleClaims(), *key);
    ASSERT_TRUE(token.isOk());
    EXPECT_TRUE(st::verifyJwt(token->reveal(), *jwks, issueTime()).isOk());
  }
  auto foreign = st::signJwt(sttest::sampleClaims(), *outsider);
  ASSERT_TRUE(foreign.isOk());
  EXPECT_EQ(st::verifyJwt(foreign->reveal(), *jwks, issueTime()).status().code(),
            ctrl::Code::kUnauthorized);
}

TEST(JwtDeterminismTest, FixedKeyAndRandomnessGiveTheSameToken) {
  auto key = st::SigningKey::fromEd25519Seed(sttest::decodeB64Url(sttest::kRfc8037D));
  ASSERT_TRUE(key.isOk());
  sttest::CountingRandomSource first;
  sttest::CountingRandomSource second;
  auto a = st::mintToken(sttest::sampleClaims(), *key, first);
  auto b = st::mintToken(sttest::sampleClaims(), *key, second);
  ASSERT_TRUE(a.isOk() && b.isOk());
  EXPECT_TRUE(a->token == b->token);
  EXPECT_EQ(a->hash, b->hash);
}

}  // namespace
