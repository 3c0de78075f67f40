// The built-in authority's audiences: SCIM-only tokens are minted with
// "<audience>/scim", API tokens with the audience, and verify() recognises
// both as its own (adoption after a crash must not re-mint a SCIM token).
#include "authority/builtin_authority.h"

#include <gtest/gtest.h>

#include "token/jwt.h"

namespace {

st::BuiltinAuthority authority(const st::SigningKeyRing& ring) {
  return st::BuiltinAuthority(ring, st::AuthorityOptions{"https://issuer.example", "api.example"});
}

st::MintRequest request(bool scim) {
  st::MintRequest r;
  r.subject = "pipeline@default.service";
  r.name = "Pipeline";
  r.scim = scim;
  r.lifetime = std::chrono::hours(24);
  r.now = std::chrono::system_clock::now();
  return r;
}

TEST(BuiltinAuthority, ScimTokensCarryTheirOwnAudienceAndBothVerify) {
  auto ring = std::move(st::SigningKeyRing::generate(st::KeyAlgorithm::kEd25519)).value();
  st::BuiltinAuthority a = authority(ring);
  for (bool scim : {false, true}) {
    auto issued = a.mint(request(scim));
    ASSERT_TRUE(issued.isOk()) << issued.status().toString();
    auto claims = st::verifyJwt(issued->value.reveal(), ring.jwks(), request(scim).now);
    ASSERT_TRUE(claims.isOk());
    EXPECT_EQ(claims->audience, scim ? "api.example/scim" : "api.example");
    auto identity = a.verify(issued->value);
    ASSERT_TRUE(identity.isOk()) << identity.status().toString();
    EXPECT_EQ(identity->tokenId, issued->tokenId);
  }
}

TEST(BuiltinAuthority, VerifyRefusesAnotherAudience) {
  auto ring = std::move(st::SigningKeyRing::generate(st::KeyAlgorithm::kEd25519)).value();
  st::BuiltinAuthority other(ring, st::AuthorityOptions{"https://issuer.example", "other"});
  auto issued = other.mint(request(false));
  ASSERT_TRUE(issued.isOk());
  EXPECT_FALSE(authority(ring).verify(issued->value).isOk());
}

}  // namespace
