// The whole verification over a fake cache: signature (kid, algorithm bound
// to the key type), claims, revocation, grant; the verified-token cache
// never outlives revocation or a key leaving the JWKS; ES256 malleability.
#include "verifier/authenticator.h"

#include <gtest/gtest.h>
#include <openssl/bn.h>

#include "token/encoding.h"
#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::verifier::Authenticator;
using st::verifier::AuthenticatorOptions;
using st::verifier::Reason;

class AuthenticatorTest : public VerifierFixture {
 protected:
  explicit AuthenticatorTest(st::KeyAlgorithm alg = st::KeyAlgorithm::kEd25519)
      : VerifierFixture(alg) {}
  Authenticator make(size_t cache = 1000) {
    AuthenticatorOptions o;
    o.claims = policy_;
    o.cacheCapacity = cache;
    return Authenticator(view_, o, clock_);
  }
};

TEST_F(AuthenticatorTest, AllowsAnActiveTokenWithItsGrant) {
  Minted m = activeToken();
  Authenticator a = make();
  auto d = a.authenticate(m.value);
  ASSERT_EQ(d.reason, Reason::kAllowed);
  ASSERT_TRUE(d.grant);
  EXPECT_EQ(d.grant->userId, kUserId);
  EXPECT_EQ(d.grant->role, "Admin");
  EXPECT_EQ(a.cachedTokens(), 1u);
  // Served again from the cache, with the same answer.
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  EXPECT_EQ(a.cachedTokens(), 1u);
}

TEST_F(AuthenticatorTest, RefusesTamperedTokens) {
  Minted m = activeToken();
  Authenticator a = make();
  std::string tampered = m.value;
  tampered[tampered.size() - 5] = tampered[tampered.size() - 5] == 'A' ? 'B' : 'A';
  EXPECT_EQ(a.authenticate(tampered).reason, Reason::kBadSignature);
  EXPECT_EQ(a.authenticate("not-a-jwt").reason, Reason::kMalformedToken);
  EXPECT_EQ(a.authenticate(std::string(st::kMaxTokenBytes + 1, 'a')).reason,
            Reason::kMalformedToken);
  // A payload swapped in from another token keeps the first one's signature.
  Minted other = mint(claims());
  const size_t p1 = m.value.find('.');
  const size_t p2 = m.value.rfind('.');
  const size_t q1 = other.value.find('.');
  const size_t q2 = other.value.rfind('.');
  std::string spliced =
      m.value.substr(0, p1) + other.value.substr(q1, q2 - q1) + m.value.substr(p2);
  EXPECT_EQ(a.authenticate(spliced).reason, Reason::kBadSignature);
  EXPECT_EQ(a.cachedTokens(), 0u);
}

TEST_F(AuthenticatorTest, ATokenSignedByAKeyOutsideTheJwksIsUnknownKey) {
  auto stranger = std::move(st::SigningKey::generate(st::KeyAlgorithm::kEd25519)).value();
  Minted m = mint(claims(), &stranger);
  view_.put(record(m));
  EXPECT_EQ(make().authenticate(m.value).reason, Reason::kUnknownKey);
}

TEST_F(AuthenticatorTest, TheAlgorithmIsBoundToTheKeyType) {
  // An ES256 key published under the kid of the Ed25519 key: a token whose
  // header says EdDSA with that kid must not verify against the EC key.
  auto ec = std::move(st::SigningKey::generate(st::KeyAlgorithm::kEs256)).value();
  Minted m = activeToken();
  auto swapped = st::PublicKey::fromJwk([&] {
    ctrl::Json jwk = ec.publicKey().toJwk();
    jwk["kid"] = key_.kid();
    return jwk;
  }());
  ASSERT_TRUE(swapped.isOk()) << swapped.status().toString();
  view_.keys.jwks = std::make_shared<const st::Jwks>(
      std::move(st::Jwks::fromKeys({std::move(swapped).value()})).value());
  ++view_.keys.generation;
  EXPECT_EQ(make().authenticate(m.value).reason, Reason::kUnsupportedAlgorithm);
}

TEST_F(AuthenticatorTest, ExpiryIsJudgedAtEveryRequestEvenForCachedTokens) {
  st::TokenClaims c = claims();
  c.expiresAt = c.issuedAt + std::chrono::minutes(10);
  Minted m = mint(c);
  view_.put(record(m));
  Authenticator a = make();
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  clock_.advance(std::chrono::minutes(10) + std::chrono::seconds(30));
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kExpired);
}

TEST_F(AuthenticatorTest, ARevokedTokenIsNeverServedFromTheCache) {
  Minted m = activeToken();
  Authenticator a = make();
  ASSERT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  ASSERT_EQ(a.cachedTokens(), 1u);
  st::verifier::TokenRecord t = view_.token("default/pipeline");
  t.revoked = true;
  view_.put(t);
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kRevoked);
  view_.tokens.clear();
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kUnknownToken);
}

TEST_F(AuthenticatorTest, AKeyLeavingTheJwksInvalidatesCachedChecks) {
  Minted m = activeToken();
  Authenticator a = make();
  ASSERT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  auto other = std::move(st::SigningKey::generate(st::KeyAlgorithm::kEd25519)).value();
  setKeys({other});
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kUnknownKey);
  setKeys({other, key_});
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
}

TEST_F(AuthenticatorTest, ForgetDropsACachedCheck) {
  Minted m = activeToken();
  Authenticator a = make();
  ASSERT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  a.forget(m.hash);
  EXPECT_EQ(a.cachedTokens(), 0u);
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
}

TEST_F(AuthenticatorTest, WithTheCacheDisabledEveryRequestVerifies) {
  Minted m = activeToken();
  Authenticator a = make(0);
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
  EXPECT_EQ(a.cachedTokens(), 0u);
}

TEST_F(AuthenticatorTest, NothingIsDecidedBeforeTheCachesSyncOrWithoutKeys) {
  Minted m = activeToken();
  Authenticator a = make();
  view_.isSynced = false;
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kNotReady);
  view_.isSynced = true;
  view_.keys.jwks.reset();
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kNotReady);
}

TEST_F(AuthenticatorTest, WrongIssuerAndAudienceAreRefused) {
  st::TokenClaims c = claims();
  c.issuer = "https://servicetoken.dev";
  Minted m = mint(c);
  view_.put(record(m));
  EXPECT_EQ(make().authenticate(m.value).reason, Reason::kWrongIssuer);
}

// ES256 signatures are malleable: (r, s) and (r, n - s) both verify. The
// altered token has the right jti but not the stored hash.
class Es256Authenticator : public AuthenticatorTest {
 protected:
  Es256Authenticator() : AuthenticatorTest(st::KeyAlgorithm::kEs256) {}
};

TEST_F(Es256Authenticator, AMalleatedSignatureVerifiesButIsRefusedByHash) {
  Minted m = activeToken();
  const size_t dot = m.value.rfind('.');
  std::string sig = std::move(st::base64UrlDecode(m.value.substr(dot + 1))).value();
  ASSERT_EQ(sig.size(), 64u);
  BIGNUM* n = nullptr;
  ASSERT_GT(BN_hex2bn(&n, "FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551"), 0);
  BIGNUM* s = BN_bin2bn(reinterpret_cast<const unsigned char*>(sig.data()) + 32, 32, nullptr);
  BIGNUM* flipped = BN_new();
  ASSERT_EQ(BN_sub(flipped, n, s), 1);
  std::string newS(32, '\0');
  ASSERT_EQ(BN_bn2binpad(flipped, reinterpret_cast<unsigned char*>(newS.data()), 32), 32);
  BN_free(n);
  BN_free(s);
  BN_free(flipped);
  const std::string malleated =
      m.value.substr(0, dot + 1) + st::base64UrlEncode(sig.substr(0, 32) + newS);
  ASSERT_NE(malleated, m.value);

  // The signature really does verify...
  auto verified = st::verifyJwtSignature(malleated, *view_.keys.jwks);
  ASSERT_TRUE(verified.isOk()) << verified.status().toString();
  EXPECT_EQ(verified->claims.tokenId, m.claims.tokenId);
  // ...but the verifier refuses it; the original still works.
  Authenticator a = make();
  EXPECT_EQ(a.authenticate(malleated).reason, Reason::kTokenMismatch);
  EXPECT_EQ(a.authenticate(m.value).reason, Reason::kAllowed);
}

}  // namespace
}  // namespace sttest
