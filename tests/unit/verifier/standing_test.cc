// Revocation against the cached ServiceToken and ServiceUser: current and
// previous token, grace, hash and id both compared, revoked, deleted,
// missing or re-created user, Personal tokens.
#include "verifier/standing.h"

#include <gtest/gtest.h>

#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::verifier::checkStanding;
using st::verifier::Reason;
using st::verifier::TokenRecord;

class Standing : public VerifierFixture {
 protected:
  Reason standing(const Minted& m) {
    return checkStanding(m.claims, m.hash, view_, clock_.wallNow()).reason;
  }
  // Rotates default/pipeline: `next` becomes current, the old current token
  // previous, retained for `grace`.
  void rotate(const Minted& next, std::chrono::seconds grace) {
    TokenRecord t = view_.token("default/pipeline");
    TokenRecord::Previous prev{t.tokenId, t.tokenHash, clock_.wallNow() + grace};
    t.previous = prev;
    t.tokenId = next.claims.tokenId;
    t.tokenHash = next.hash;
    view_.put(t);
  }
};

TEST_F(Standing, TheCurrentTokenStands) {
  Minted m = activeToken();
  auto s = checkStanding(m.claims, m.hash, view_, clock_.wallNow());
  ASSERT_EQ(s.reason, Reason::kAllowed);
  EXPECT_EQ(s.token->name, "pipeline");
  ASSERT_TRUE(s.user);
  EXPECT_EQ(s.user->name, "pipeline");
  EXPECT_FALSE(s.previous);
}

TEST_F(Standing, ATokenNoServiceTokenHoldsIsUnknown) {
  Minted m = mint(claims());
  EXPECT_EQ(standing(m), Reason::kUnknownToken);
  // Deleting the ServiceToken from the cache has the same effect.
  Minted held = activeToken();
  view_.tokens.clear();
  EXPECT_EQ(standing(held), Reason::kUnknownToken);
}

TEST_F(Standing, TheSameIdWithOtherBytesIsAMismatch) {
  Minted m = activeToken();
  TokenRecord t = view_.token("default/pipeline");
  t.tokenHash = st::tokenHash(std::string_view("something else"));
  view_.put(t);
  EXPECT_EQ(standing(m), Reason::kTokenMismatch);
}

TEST_F(Standing, ThePreviousTokenStandsUntilRetainedUntilAndNotAfter) {
  Minted old = activeToken();
  Minted next = mint(claims());
  rotate(next, std::chrono::hours(24 * 7));
  auto s = checkStanding(old.claims, old.hash, view_, clock_.wallNow());
  EXPECT_EQ(s.reason, Reason::kAllowed);
  EXPECT_TRUE(s.previous);
  EXPECT_EQ(standing(next), Reason::kAllowed);

  clock_.advance(std::chrono::hours(24 * 7) - std::chrono::seconds(1));
  EXPECT_EQ(standing(old), Reason::kAllowed);
  clock_.advance(std::chrono::seconds(1));
  EXPECT_EQ(standing(old), Reason::kGraceExpired);
  EXPECT_EQ(standing(next), Reason::kAllowed);
}

TEST_F(Standing, APreviousTokenWithoutAReadableRetainedUntilIsRefused) {
  Minted old = activeToken();
  rotate(mint(claims()), std::chrono::hours(1));
  TokenRecord t = view_.token("default/pipeline");
  t.previous->retainedUntil.reset();
  view_.put(t);
  EXPECT_EQ(standing(old), Reason::kGraceExpired);
}

TEST_F(Standing, OnceThePreviousTokenLeavesStatusItIsUnknown) {
  Minted old = activeToken();
  rotate(mint(claims()), std::chrono::hours(1));
  TokenRecord t = view_.token("default/pipeline");
  t.previous.reset();
  view_.put(t);
  EXPECT_EQ(standing(old), Reason::kUnknownToken);
}

TEST_F(Standing, ThePreviousHashIsComparedToo) {
  Minted old = activeToken();
  rotate(mint(claims()), std::chrono::hours(1));
  TokenRecord t = view_.token("default/pipeline");
  t.previous->tokenHash = t.tokenHash;  // the current hash under the previous id
  view_.put(t);
  EXPECT_EQ(standing(old), Reason::kTokenMismatch);
}

TEST_F(Standing, RevokedOrDeletingServiceTokensRefuseTheirTokens) {
  Minted m = activeToken();
  const TokenRecord original = view_.token("default/pipeline");
  for (auto change : std::vector<void (*)(TokenRecord&)>{
           [](TokenRecord& t) { t.revoked = true; }, [](TokenRecord& t) { t.phase = "Revoked"; },
           [](TokenRecord& t) { t.deleting = true; }}) {
    TokenRecord t = original;
    change(t);
    view_.put(t);
    EXPECT_EQ(standing(m), Reason::kRevoked);
  }
  view_.put(original);
  EXPECT_EQ(standing(m), Reason::kAllowed);
}

TEST_F(Standing, AMissingDeletingOrRenamedServiceUserRefusesTheToken) {
  Minted m = activeToken();
  const st::verifier::UserRecord original = *view_.users.at("default/pipeline");
  auto with = [&](void (*change)(st::verifier::UserRecord&)) {
    st::verifier::UserRecord u = original;
    change(u);
    view_.put(u);
    return standing(m);
  };
  EXPECT_EQ(with([](st::verifier::UserRecord& u) { u.deleting = true; }), Reason::kServiceUserGone);
  EXPECT_EQ(with([](st::verifier::UserRecord& u) { u.userId = "someone_else@service"; }),
            Reason::kServiceUserGone);
  EXPECT_EQ(with([](st::verifier::UserRecord& u) { u.userId.clear(); }), Reason::kServiceUserGone);
  view_.users.clear();
  EXPECT_EQ(standing(m), Reason::kServiceUserGone);
}

TEST_F(Standing, TheSubjectMustBeTheOneTheServiceTokenRecords) {
  Minted m = activeToken();
  TokenRecord t = view_.token("default/pipeline");
  t.serviceUserId = "other@service";
  view_.put(t);
  EXPECT_EQ(standing(m), Reason::kBadSubject);
}

TEST_F(Standing, PersonalTokensStandOnTheirOwnerWithoutAServiceUser) {
  st::TokenClaims c = claims();
  c.use = st::TokenUse::kPersonal;
  c.subject = "alice@example.com";
  Minted m = mint(c);
  TokenRecord t = record(m);
  t.type = st::TokenType::kPersonal;
  t.serviceUserRef.clear();
  t.serviceUserId.clear();
  t.owner = "alice@example.com";
  view_.put(t);
  view_.users.clear();
  auto s = checkStanding(m.claims, m.hash, view_, clock_.wallNow());
  EXPECT_EQ(s.reason, Reason::kAllowed);
  EXPECT_FALSE(s.user);

  t.owner = "bob@example.com";
  view_.put(t);
  EXPECT_EQ(standing(m), Reason::kBadSubject);
  // A Service token presented against a Personal ServiceToken (or the reverse).
  t.owner = "alice@example.com";
  t.type = st::TokenType::kService;
  view_.put(t);
  EXPECT_EQ(standing(m), Reason::kBadSubject);
}

}  // namespace
}  // namespace sttest
