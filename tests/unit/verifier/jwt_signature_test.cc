// token/jwt.h's verifyJwtSignature as the verifier uses it: the cause of each
// refusal (for the metrics' reasons) and the optional nbf claim.
#include <gtest/gtest.h>

#include "controller/json.h"
#include "token/encoding.h"
#include "token/jwt.h"
#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::JwtRejection;

class JwtSignature : public VerifierFixture {
 protected:
  // A token with an arbitrary header and payload, signed by key_.
  std::string sign(const ctrl::Json& header, const ctrl::Json& payload) {
    std::string input =
        st::base64UrlEncode(header.dump()) + "." + st::base64UrlEncode(payload.dump());
    auto sig = key_.sign(input);
    EXPECT_TRUE(sig.isOk());
    return input + "." + st::base64UrlEncode(*sig);
  }
  ctrl::Json header() const { return {{"alg", "EdDSA"}, {"kid", key_.kid()}, {"typ", "JWT"}}; }
  JwtRejection rejection(const std::string& token) {
    JwtRejection why = JwtRejection::kSignature;
    auto r = st::verifyJwtSignature(token, *view_.keys.jwks, &why);
    EXPECT_FALSE(r.isOk());
    return why;
  }
};

TEST_F(JwtSignature, ReturnsTheClaimsAndNbfWhenPresent) {
  ctrl::Json payload = st::claimsToJson(claims());
  auto plain = st::verifyJwtSignature(sign(header(), payload), *view_.keys.jwks);
  ASSERT_TRUE(plain.isOk()) << plain.status().toString();
  EXPECT_FALSE(plain->notBefore);
  payload["nbf"] = 1767225600;
  auto withNbf = st::verifyJwtSignature(sign(header(), payload), *view_.keys.jwks);
  ASSERT_TRUE(withNbf.isOk()) << withNbf.status().toString();
  ASSERT_TRUE(withNbf->notBefore);
  EXPECT_EQ(withNbf->notBefore->time_since_epoch().count(), 1767225600);
  payload["nbf"] = "tomorrow";
  EXPECT_EQ(rejection(sign(header(), payload)), JwtRejection::kMalformed);
}

TEST_F(JwtSignature, NamesTheCauseOfEachRefusal) {
  const ctrl::Json payload = st::claimsToJson(claims());
  EXPECT_EQ(rejection("a.b"), JwtRejection::kMalformed);
  ctrl::Json none = header();
  none["alg"] = "none";
  EXPECT_EQ(rejection(sign(none, payload)), JwtRejection::kAlgorithm);
  ctrl::Json es = header();
  es["alg"] = "ES256";
  EXPECT_EQ(rejection(sign(es, payload)), JwtRejection::kAlgorithm);
  ctrl::Json crit = header();
  crit["crit"] = {"exp"};
  EXPECT_EQ(rejection(sign(crit, payload)), JwtRejection::kAlgorithm);
  ctrl::Json unknown = header();
  unknown["kid"] = "nobody";
  EXPECT_EQ(rejection(sign(unknown, payload)), JwtRejection::kUnknownKey);
  std::string token = sign(header(), payload);
  token[token.size() - 3] = token[token.size() - 3] == 'A' ? 'B' : 'A';
  EXPECT_EQ(rejection(token), JwtRejection::kSignature);
}

}  // namespace
}  // namespace sttest
