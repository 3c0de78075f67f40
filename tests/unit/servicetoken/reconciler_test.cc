// The ServiceToken reconciler's decisions, deterministically: each test sets
// the server and the caches to the moment that matters (a cache that lags, a
// Secret deleted in between, two workers at once) and checks what was written.
#include "servicetoken/reconciler.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <barrier>
#include <thread>

#include "api/base64.h"
#include "controller/metrics.h"
#include "policy/issue_policy.h"
#include "reconciler_harness.h"
#include "token/jwt.h"
#include "token/token_hash.h"

namespace sttest {
namespace {

using ctrl::Json;
using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

const char* kUserId = "airflow@default.service";

class ReconcilerTest : public ::testing::Test {
 protected:
  ReconcilerTest() { h_.putUser("airflow", "Airflow", kUserId); }

  // Mints `name` and lets every cache catch up.
  void mintAndSync(const std::string& name) {
    h_.sync();
    ASSERT_TRUE(h_.reconcile(name).isOk());
    h_.sync();
    ASSERT_EQ(h_.token(name).status.phase, "Active");
  }
  int secretCreates() { return h_.api().count("create", "secrets"); }
  int secretWrites() {
    return secretCreates() + h_.api().count("update", "secrets") +
           h_.api().count("patch", "secrets");
  }

  ReconcilerHarness h_;
};

// Our own writes arriving in the cache are recognised once: the informer
// handlers skip the reconcile they would cost and the reconciler drops its
// copies (kept until then so a lagging cache is not mistaken for news).
// Any other version is news.
TEST_F(ReconcilerTest, OwnWritesAreRecognisedOnceWhenTheCacheCatchesUp) {
  h_.putToken("own", "airflow", "Own");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("own").isOk());
  const st::ServiceToken live = h_.token("own");
  ASSERT_EQ(live.status.phase, "Active");
  auto secret = st::decodeTokenSecret(h_.secret("own"));
  ASSERT_TRUE(secret.isOk()) << secret.status().toString();
  st::TokenSecret other = *secret;
  other.meta.resourceVersion = "999999";
  EXPECT_FALSE(h_.reconciler().ownSecretWrite(other));
  EXPECT_TRUE(h_.reconciler().ownSecretWrite(*secret));
  EXPECT_FALSE(h_.reconciler().ownSecretWrite(*secret));  // forgotten
  EXPECT_FALSE(h_.reconciler().ownStatusWrite(live.meta.key(), "999999"));
  EXPECT_TRUE(h_.reconciler().ownStatusWrite(live.meta.key(), live.meta.resourceVersion));
  EXPECT_FALSE(h_.reconciler().ownStatusWrite(live.meta.key(), live.meta.resourceVersion));
  // With the caches caught up, a reconcile still writes nothing.
  h_.sync();
  const int writes = secretWrites();
  ASSERT_TRUE(h_.reconcile("own").isOk());
  EXPECT_EQ(secretWrites(), writes);
  EXPECT_EQ(h_.token("own").meta.resourceVersion, live.meta.resourceVersion);
}

// Issue 12: the status write reads only the new resourceVersion of the
// answer, and the Secret create only the metadata the API added, so they ask
// for the metadata alone (the FakeApi then answers only
// that: the test above proves the version is still recognised).
TEST_F(ReconcilerTest, TheStatusWriteAndTheSecretCreateAskForTheAnswersMetadataOnly) {
  h_.putToken("lean", "airflow", "Lean");
  mintAndSync("lean");
  const int statusWrites = h_.api().count("patch", "servicetokens", "status");
  ASSERT_GE(statusWrites, 1);
  EXPECT_EQ(h_.api().countMetadataOnly("patch", "servicetokens", "status"), statusWrites);
  // The Secret's create too: the API stores its data as sent, so only the
  // answer's metadata is news (the test above proves the written Secret is
  // still recognised when the cache catches up).
  EXPECT_GE(secretCreates(), 1);
  EXPECT_EQ(h_.api().countMetadataOnly("create", "secrets"), secretCreates());
}

// Issue 9.1: with expiresInDays 1 and renewBefore 23h59m the jitter put the
// renewal before issuedAt, and every write of our own Secret found renewal
// due again: about 75 mints a second.
TEST_F(ReconcilerTest, ARenewBeforeCloseToTheLifetimeDoesNotMintInALoop) {
  h_.putToken(
      "loop", "airflow", "Loop",
      {{"expiration", nullptr}, {"expiresInDays", 1}, {"rotation", {{"renewBefore", "23h59m"}}}});
  mintAndSync("loop");
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(h_.reconcile("loop").isOk());
    h_.sync();
  }
  EXPECT_EQ(h_.token("loop").status.revision, 1);
  EXPECT_EQ(secretCreates(), 1);
  EXPECT_EQ(h_.api().count("update", "secrets"), 0);
  // Renewal at the floor: half of the day.
  auto renewal = ctrl::parseRfc3339(h_.token("loop").status.renewalTime);
  auto issued = ctrl::parseRfc3339(h_.token("loop").status.issuedAt);
  ASSERT_TRUE(renewal.isOk() && issued.isOk());
  EXPECT_EQ(*renewal - *issued, hours(12));
}

// Issue 9.1 (defence in depth): whatever deletes the Secret again and again,
// the fourth automatic mint within an hour is refused until a human acts.
TEST_F(ReconcilerTest, TheMintRateGuardStopsALoopUntilTheSpecChanges) {
  h_.putToken("pruned", "airflow", "Pruned");
  mintAndSync("pruned");
  for (int i = 0; i < 3; ++i) {
    h_.api().erase(ctrl::resources::secret(), ReconcilerHarness::kNs, "pruned");
    h_.clock().advance(minutes(5));
    h_.sync();
    ASSERT_TRUE(h_.reconcile("pruned").isOk());
    h_.sync();
    ASSERT_EQ(h_.token("pruned").status.revision, 2 + i) << i;
  }
  h_.api().erase(ctrl::resources::secret(), ReconcilerHarness::kNs, "pruned");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("pruned").isOk());
  h_.sync();
  EXPECT_EQ(secretCreates(), 4) << "the fourth automatic mint in an hour is refused";
  std::string reason;
  EXPECT_EQ(h_.condition("pruned", "Stalled", &reason), "True");
  EXPECT_EQ(reason, "MintRateExceeded");
  EXPECT_THAT(ctrl::renderMetrics(h_.registry()),
              HasSubstr("servicetoken_mint_rate_guard_refusals_total 1"));

  // Time alone does not release it.
  h_.clock().advance(hours(3));
  ASSERT_TRUE(h_.reconcile("pruned").isOk());
  h_.sync();
  EXPECT_EQ(secretCreates(), 4);
  EXPECT_EQ(h_.condition("pruned", "Stalled"), "True");

  // A human changes the spec: minting resumes.
  h_.editSpec("pruned", {{"secret", {{"labels", {{"fixed", "yes"}}}}}});
  h_.sync();
  ASSERT_TRUE(h_.reconcile("pruned").isOk());
  h_.sync();
  EXPECT_EQ(secretCreates(), 5);
  EXPECT_EQ(h_.condition("pruned", "Stalled"), "False");
  EXPECT_EQ(h_.token("pruned").status.phase, "Active");
}

// Issue 9.2: the memory of our own write served the Secret after it was
// deleted, so nothing was re-minted and status stayed Active.
TEST_F(ReconcilerTest, ASecretDeletedBeforeTheCacheSawItIsMintedAgain) {
  h_.putToken("race", "airflow", "Race");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("race").isOk());  // creates the Secret; the cache has not seen it
  h_.syncTokensOnly();
  // The Secret is deleted before the Secret informer ever delivered it.
  h_.api().erase(ctrl::resources::secret(), ReconcilerHarness::kNs, "race");
  ASSERT_TRUE(h_.reconcile("race").isOk());
  EXPECT_EQ(secretCreates(), 2) << "the deleted Secret was not replaced";
  EXPECT_FALSE(h_.secret("race").is_null());
  EXPECT_EQ(h_.token("race").status.revision, 2);
  EXPECT_THAT(h_.events().reasons("race"), ::testing::Contains("SecretRecreated"));
}

// Issue 9.3: a rejection the server will repeat is Stalled, not "progress",
// and is retried only on a spec change or slowly.
TEST_F(ReconcilerTest, APermanentRejectionStallsWithTheServersMessage) {
  h_.putToken("rejected", "airflow", "Rejected");
  h_.api().setFault([](const std::string& verb, const std::string& plural, const std::string&) {
    if (verb == "create" && plural == "secrets") {
      return ctrl::Status(ctrl::Code::kInvalid,
                          "Secret \"rejected\" is invalid: metadata.labels: Invalid value");
    }
    return ctrl::Status::ok();
  });
  h_.sync();
  ASSERT_TRUE(h_.reconcile("rejected").isOk());
  h_.sync();
  std::string reason;
  EXPECT_EQ(h_.condition("rejected", "Stalled", &reason), "True");
  EXPECT_EQ(reason, "MintRejected");
  st::ServiceToken t = h_.token("rejected");
  EXPECT_EQ(t.status.lastFailureReason, "Invalid");
  EXPECT_THAT(t.status.lastFailureMessage, HasSubstr("metadata.labels: Invalid value"));
  for (const auto& c : t.status.conditions) {
    if (c.type == "Stalled") {
      EXPECT_THAT(c.message, HasSubstr("metadata.labels: Invalid value"));
    }
  }

  // Not retried a minute later (a transient failure would be after 5 s).
  h_.clock().advance(minutes(1));
  auto r = h_.reconcile("rejected");
  ASSERT_TRUE(r.isOk());
  EXPECT_GE(r->requeueAfter, minutes(28));
  h_.sync();
  EXPECT_EQ(h_.condition("rejected", "Stalled"), "True");

  // A spec change retries at once.
  h_.api().setFault(nullptr);
  h_.editSpec("rejected", {{"expiration", "60d"}});
  h_.sync();
  ASSERT_TRUE(h_.reconcile("rejected").isOk());
  h_.sync();
  EXPECT_EQ(h_.token("rejected").status.phase, "Active");
  EXPECT_EQ(h_.condition("rejected", "Stalled"), "False");
  EXPECT_EQ(h_.token("rejected").status.lastFailureReason, "");
}

TEST_F(ReconcilerTest, ATransientFailureIsNotStalled) {
  h_.putToken("flaky", "airflow", "Flaky");
  h_.api().setFault([](const std::string& verb, const std::string& plural, const std::string&) {
    if (verb == "create" && plural == "secrets") {
      return ctrl::Status(ctrl::Code::kUnavailable, "the server is currently unable to respond");
    }
    return ctrl::Status::ok();
  });
  h_.sync();
  auto r = h_.reconcile("flaky");
  ASSERT_TRUE(r.isOk());
  EXPECT_LE(r->requeueAfter, std::chrono::seconds(6));
  h_.sync();
  EXPECT_EQ(h_.condition("flaky", "Stalled"), "False");
  EXPECT_EQ(h_.token("flaky").status.lastFailureReason, "MintFailed");
}

// Issue 9.4: deleting a ServiceUser revokes its tokens; creating it again
// mints a new token rather than resurrecting the old one.
TEST_F(ReconcilerTest, DeletingTheServiceUserRevokesAndRecreatingItMintsAgain) {
  h_.putToken("owned", "airflow", "Owned");
  mintAndSync("owned");
  const std::string first = h_.token("owned").status.tokenId;
  h_.api().erase(st::serviceUserResource(), ReconcilerHarness::kNs, "airflow");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("owned").isOk());
  h_.sync();
  EXPECT_EQ(h_.token("owned").status.phase, "Revoked");
  EXPECT_EQ(h_.condition("owned", "Ready"), "False");

  h_.putUser("airflow", "Airflow", kUserId);  // a new UID
  h_.sync();
  ASSERT_TRUE(h_.reconcile("owned").isOk());
  h_.sync();
  st::ServiceToken t = h_.token("owned");
  EXPECT_EQ(t.status.phase, "Active");
  EXPECT_NE(t.status.tokenId, first);
  EXPECT_EQ(t.status.revision, 2);
  EXPECT_TRUE(t.status.previousToken == std::nullopt) << "the old token is not kept";
}

// A Secret with our labels and a self-consistent hash, but a value signed by
// someone else.
Json forgedSecret(const std::string& name, const std::string& tokenUid,
                  const std::string& specHash = "") {
  auto ring = st::SigningKeyRing::generate(st::KeyAlgorithm::kEd25519);
  st::TokenClaims claims;
  claims.issuer = "https://servicetoken.dev";
  claims.audience = "servicetoken.dev";
  claims.subject = kUserId;
  claims.name = "Adopt";
  claims.issuedAt = std::chrono::sys_seconds(std::chrono::seconds(1767225600));
  claims.tokenId = "forged-jti";
  auto value = st::signJwt(claims, ring->active());
  Json s = {{"apiVersion", "v1"},
            {"kind", "Secret"},
            {"type", st::kSecretType},
            {"metadata",
             {{"name", name},
              {"namespace", ReconcilerHarness::kNs},
              {"labels", {{st::kManagedByLabel, st::kManagedByValue}, {st::kTokenLabel, name}}},
              {"annotations",
               {{st::kTokenIdAnnotation, "forged-jti"},
                {st::kTokenHashAnnotation, st::tokenHash(*value)},
                {st::kRevisionAnnotation, "1"},
                {st::kIssuedAtAnnotation, "2026-01-01T00:00:00Z"},
                {st::kExpiresAtAnnotation, "2027-01-01T00:00:00Z"},
                {st::kSpecHashAnnotation, specHash}}}}},
            {"data", {{st::kTokenKey, st::base64Encode(value->reveal())}}}};
  if (!tokenUid.empty()) {
    s["metadata"]["ownerReferences"] = {{{"apiVersion", st::kApiVersion},
                                         {"kind", "ServiceToken"},
                                         {"name", name},
                                         {"uid", tokenUid},
                                         {"controller", true}}};
  }
  return s;
}

// Issue 9.5: adoption trusted labels alone.
TEST_F(ReconcilerTest, APreCreatedSecretWithOurLabelsIsNotAdopted) {
  h_.api().put(ctrl::resources::secret(), forgedSecret("adopt", ""));
  h_.putToken("adopt", "airflow", "Adopt");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("adopt").isOk());
  h_.sync();
  st::ServiceToken t = h_.token("adopt");
  EXPECT_NE(t.status.phase, "Active");
  EXPECT_NE(t.status.tokenId, "forged-jti");
  std::string reason;
  EXPECT_EQ(h_.condition("adopt", "Ready", &reason), "False");
  EXPECT_EQ(reason, "SecretNotOwned");
  EXPECT_EQ(secretWrites(), 0) << "a Secret that is not verifiably ours is never written";
}

TEST_F(ReconcilerTest, AForgedTokenInOurOwnSecretIsReplacedNotAdopted) {
  Json token = h_.putToken("forged", "airflow", "Forged");
  // Everything but the signature is right: the spec hash too, so only the
  // signature check can tell.
  h_.api().put(ctrl::resources::secret(),
               forgedSecret("forged", token["metadata"]["uid"].get<std::string>(),
                            st::specHash(h_.token("forged").spec)));
  h_.sync();
  ASSERT_TRUE(h_.reconcile("forged").isOk());
  h_.sync();
  st::ServiceToken t = h_.token("forged");
  EXPECT_EQ(t.status.phase, "Active");
  EXPECT_NE(t.status.tokenId, "forged-jti");
  EXPECT_EQ(h_.api().count("update", "secrets"), 1);
  EXPECT_FALSE(t.status.previousToken.has_value()) << "a forged token is never kept";
  EXPECT_FALSE(h_.secret("forged")["data"].contains(st::kPreviousTokenKey));
  // The value now in the Secret is ours.
  auto value = st::base64Decode(h_.secret("forged")["data"][st::kTokenKey].get<std::string>());
  ASSERT_TRUE(value.isOk());
  auto id = h_.authority().verify(st::SecretString(std::move(value).value()));
  ASSERT_TRUE(id.isOk());
  EXPECT_EQ(id->tokenId, t.status.tokenId);
}

// Crash recovery still adopts a token we minted (status never written).
TEST_F(ReconcilerTest, OurOwnTokenIsAdoptedAfterACrashBeforeTheStatusWrite) {
  h_.putToken("crash", "airflow", "Crash");
  h_.api().setFault([](const std::string& verb, const std::string& plural, const std::string& sub) {
    if (verb == "patch" && plural == "servicetokens" && sub == "status") {
      return ctrl::Status(ctrl::Code::kUnavailable, "connection reset");
    }
    return ctrl::Status::ok();
  });
  h_.sync();
  EXPECT_FALSE(h_.reconcile("crash").isOk());
  h_.api().setFault(nullptr);
  h_.makeReconciler();  // a restart: no memory of the write
  h_.sync();
  ASSERT_TRUE(h_.reconcile("crash").isOk());
  h_.sync();
  EXPECT_EQ(secretCreates(), 1);
  EXPECT_EQ(h_.api().count("update", "secrets"), 0);
  EXPECT_EQ(h_.token("crash").status.phase, "Active");
  EXPECT_EQ(h_.token("crash").status.revision, 1);
}

// Issue 9.6: a new spec.secret.name minted into the new Secret with a
// misleading SecretDeleted event and left a live token in the old one.
TEST_F(ReconcilerTest, ChangingTheSecretNameMovesTheTokenAndRemovesTheOldOne) {
  h_.putToken("mover", "airflow", "Mover");
  mintAndSync("mover");
  h_.editSpec("mover", {{"secret", {{"name", "mover-token"}}}});
  h_.sync();
  ASSERT_TRUE(h_.reconcile("mover").isOk());
  h_.sync();
  EXPECT_FALSE(h_.secret("mover-token").is_null());
  EXPECT_TRUE(h_.secret("mover").is_null()) << "the old Secret still holds a live token";
  st::ServiceToken t = h_.token("mover");
  EXPECT_EQ(t.status.secretName, "mover-token");
  EXPECT_EQ(t.status.phase, "Active");
  EXPECT_EQ(t.status.revision, 2);
  auto reasons = h_.events().reasons("mover");
  EXPECT_THAT(reasons, ::testing::Contains("SecretMoved"));
  EXPECT_THAT(reasons, ::testing::Not(::testing::Contains("SecretRecreated")));
  // Settled: nothing more to do.
  const int writes = secretWrites();
  ASSERT_TRUE(h_.reconcile("mover").isOk());
  EXPECT_EQ(secretWrites(), writes);
}

TEST_F(ReconcilerTest, AMoveOutOfARetainedSecretEmptiesAndReleasesIt) {
  h_.putToken("kept", "airflow", "Kept", {{"secret", {{"deletionPolicy", "Retain"}}}});
  mintAndSync("kept");
  h_.editSpec("kept", {{"secret", {{"name", "kept-2"}}}});
  h_.sync();
  ASSERT_TRUE(h_.reconcile("kept").isOk());
  h_.sync();
  Json old = h_.secret("kept");
  ASSERT_FALSE(old.is_null()) << "Retain keeps the Secret";
  EXPECT_FALSE(old["data"].contains(st::kTokenKey));
  EXPECT_FALSE(old["metadata"]["labels"].contains(st::kTokenLabel));
  EXPECT_EQ(h_.token("kept").status.secretName, "kept-2");
}

// Issue 9.7: renaming an older token onto a younger one's name took the name
// from the token that already held a live token under it.
TEST_F(ReconcilerTest, TheTokenHoldingADisplayNameKeepsItWhenAnOlderOneIsRenamedOntoIt) {
  h_.putToken("older", "airflow", "First", {}, "2026-01-01T00:00:00Z");
  h_.putToken("younger", "airflow", "Second", {}, "2026-01-02T00:00:00Z");
  mintAndSync("older");
  mintAndSync("younger");
  h_.editSpec("older", {{"displayName", "Second"}});
  h_.sync();
  ASSERT_TRUE(h_.reconcile("older").isOk());
  ASSERT_TRUE(h_.reconcile("younger").isOk());
  h_.sync();
  std::string reason;
  EXPECT_EQ(h_.condition("older", "Stalled", &reason), "True");
  EXPECT_EQ(reason, "DuplicateName");
  EXPECT_EQ(h_.token("older").status.revision, 1) << "no token was minted under the taken name";
  EXPECT_EQ(h_.token("younger").status.phase, "Active");
  EXPECT_EQ(h_.condition("younger", "Ready"), "True");
}

// Issue 9.7: two workers deciding at the same moment mint exactly once.
TEST_F(ReconcilerTest, TwoWorkersRacingForOneDisplayNameMintOnce) {
  for (int round = 0; round < 20; ++round) {
    SCOPED_TRACE(round);
    ReconcilerHarness h;
    h.putUser("airflow", "Airflow", kUserId);
    // Created in the same second: the name decides.
    h.putToken("a", "airflow", "Shared");
    h.putToken("b", "airflow", "Shared");
    h.sync();
    std::barrier start(2);
    auto work = [&](const std::string& name) {
      start.arrive_and_wait();
      EXPECT_TRUE(h.reconcile(name).isOk());
    };
    std::thread ta(work, "a"), tb(work, "b");
    ta.join();
    tb.join();
    h.sync();
    EXPECT_EQ(h.api().count("create", "secrets"), 1);
    EXPECT_EQ(h.token("a").status.phase, "Active");
    std::string reason;
    EXPECT_EQ(h.condition("b", "Ready", &reason), "False");
    EXPECT_EQ(reason, "DuplicateName");
    // A later reconcile of the loser, with the winner's token now in the
    // caches, does not change the answer.
    ASSERT_TRUE(h.reconcile("b").isOk());
    EXPECT_EQ(h.api().count("create", "secrets"), 1);
  }
}

// The cache lags behind the winner's mint: the loser still sees the name taken.
TEST_F(ReconcilerTest, AMintTheCachesHaveNotSeenStillHoldsTheName) {
  h_.putToken("b-first", "airflow", "Held", {}, "2026-01-02T00:00:00Z");
  h_.sync();
  ASSERT_TRUE(h_.reconcile("b-first").isOk());  // mints; no cache has seen it
  // An older token with the same name appears (e.g. restored from a backup).
  h_.putToken("a-older", "airflow", "Held", {}, "2026-01-01T00:00:00Z");
  h_.syncTokensOnly();
  ASSERT_TRUE(h_.reconcile("a-older").isOk());
  EXPECT_EQ(secretCreates(), 1);
  std::string reason;
  h_.sync();
  EXPECT_EQ(h_.condition("a-older", "Ready", &reason), "False");
  EXPECT_EQ(reason, "DuplicateName");
}

TEST_F(ReconcilerTest, ASettledTokenCausesNoWrites) {
  h_.putToken("quiet", "airflow", "Quiet");
  mintAndSync("quiet");
  const int writes = secretWrites() + h_.api().count("patch", "servicetokens", "status");
  h_.makeReconciler();  // restart
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(h_.reconcile("quiet").isOk());
  EXPECT_EQ(secretWrites() + h_.api().count("patch", "servicetokens", "status"), writes);
}

}  // namespace
}  // namespace sttest
