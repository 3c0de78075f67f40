// The claims rules with the fake clock: exp and nbf/iat with leeway, issuer,
// the scope-bound audience, the TokenReview audience rule, subject.
#include "verifier/claims_check.h"

#include <gtest/gtest.h>

#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::verifier::AudienceRule;
using st::verifier::checkClaims;
using st::verifier::Reason;
using std::chrono::seconds;

class ClaimsCheck : public VerifierFixture {
 protected:
  st::SignedJwt jwt(st::TokenClaims c) const { return {std::move(c), std::nullopt}; }
};

TEST_F(ClaimsCheck, AcceptsAFreshToken) {
  EXPECT_EQ(checkClaims(jwt(claims()), clock_.wallNow(), policy_), Reason::kAllowed);
}

TEST_F(ClaimsCheck, ExpiryHonoursTheLeewayAndNoMore) {
  st::TokenClaims c = claims();
  c.expiresAt = std::chrono::time_point_cast<seconds>(clock_.wallNow());
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kAllowed);
  clock_.advance(seconds(29));
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kAllowed);
  clock_.advance(seconds(1));
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kExpired);
  policy_.leeway = seconds(0);
  c.expiresAt = std::chrono::time_point_cast<seconds>(clock_.wallNow());
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kExpired);
}

TEST_F(ClaimsCheck, ALeewayAboveSixtySecondsIsCappedAtSixty) {
  policy_.leeway = seconds(3600);
  st::TokenClaims c = claims();
  c.expiresAt = std::chrono::time_point_cast<seconds>(clock_.wallNow()) - seconds(60);
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kExpired);
}

TEST_F(ClaimsCheck, ATokenWithoutExpiryNeverExpires) {
  st::TokenClaims c = claims();
  c.expiresAt.reset();
  clock_.advance(std::chrono::hours(24 * 365 * 20));
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kAllowed);
}

TEST_F(ClaimsCheck, IssuedAtOrNotBeforeInTheFutureBeyondTheLeewayIsNotYetValid) {
  st::TokenClaims c = claims();
  c.issuedAt += seconds(30);
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kAllowed);
  c.issuedAt += seconds(1);
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kNotYetValid);

  st::SignedJwt withNbf = jwt(claims());
  withNbf.notBefore = std::chrono::time_point_cast<seconds>(clock_.wallNow()) + seconds(31);
  EXPECT_EQ(checkClaims(withNbf, clock_.wallNow(), policy_), Reason::kNotYetValid);
  clock_.advance(seconds(1));
  EXPECT_EQ(checkClaims(withNbf, clock_.wallNow(), policy_), Reason::kAllowed);
}

TEST_F(ClaimsCheck, TheIssuerMustMatchExactly) {
  st::TokenClaims c = claims();
  c.issuer = std::string(kIssuer) + "/";
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kWrongIssuer);
}

TEST_F(ClaimsCheck, TheAudienceMustBeTheOneOfTheTokensScope) {
  EXPECT_EQ(checkClaims(jwt(claims(st::TokenScope::kScim)), clock_.wallNow(), policy_),
            Reason::kAllowed);
  // A SCIM token carrying the API audience, and the reverse, are refused.
  st::TokenClaims scimWithApiAudience = claims(st::TokenScope::kScim);
  scimWithApiAudience.audience = kAudience;
  EXPECT_EQ(checkClaims(jwt(scimWithApiAudience), clock_.wallNow(), policy_),
            Reason::kWrongAudience);
  st::TokenClaims apiWithScimAudience = claims();
  apiWithScimAudience.audience = st::scimAudience(kAudience);
  EXPECT_EQ(checkClaims(jwt(apiWithScimAudience), clock_.wallNow(), policy_),
            Reason::kWrongAudience);
  st::TokenClaims other = claims();
  other.audience = "other.example.com";
  EXPECT_EQ(checkClaims(jwt(other), clock_.wallNow(), policy_), Reason::kWrongAudience);
}

TEST_F(ClaimsCheck, TheTokenReviewRulesNarrowTheAudience) {
  const std::vector<std::string> kube{"https://kubernetes.default.svc"};
  const std::vector<std::string> ours{"https://kubernetes.default.svc", kAudience};
  const st::SignedJwt api = jwt(claims());
  const st::SignedJwt scim = jwt(claims(st::TokenScope::kScim));
  EXPECT_EQ(checkClaims(api, clock_.wallNow(), policy_, AudienceRule{.apiOnly = true, .oneOf = {}}),
            Reason::kAllowed);
  EXPECT_EQ(
      checkClaims(scim, clock_.wallNow(), policy_, AudienceRule{.apiOnly = true, .oneOf = {}}),
      Reason::kWrongAudience);
  EXPECT_EQ(checkClaims(api, clock_.wallNow(), policy_, AudienceRule{.oneOf = kube}),
            Reason::kWrongAudience);
  EXPECT_EQ(checkClaims(api, clock_.wallNow(), policy_, AudienceRule{.oneOf = ours}),
            Reason::kAllowed);
  EXPECT_EQ(checkClaims(scim, clock_.wallNow(), policy_, AudienceRule{.oneOf = ours}),
            Reason::kWrongAudience);
}

TEST_F(ClaimsCheck, AnEmptySubjectIsRefused) {
  st::TokenClaims c = claims();
  c.subject.clear();
  EXPECT_EQ(checkClaims(jwt(c), clock_.wallNow(), policy_), Reason::kBadSubject);
}

TEST_F(ClaimsCheck, SignatureRefusalsMapToTheirReasons) {
  using st::JwtRejection;
  EXPECT_EQ(st::verifier::reasonFor(JwtRejection::kMalformed), Reason::kMalformedToken);
  EXPECT_EQ(st::verifier::reasonFor(JwtRejection::kAlgorithm), Reason::kUnsupportedAlgorithm);
  EXPECT_EQ(st::verifier::reasonFor(JwtRejection::kUnknownKey), Reason::kUnknownKey);
  EXPECT_EQ(st::verifier::reasonFor(JwtRejection::kSignature), Reason::kBadSignature);
}

}  // namespace
}  // namespace sttest
