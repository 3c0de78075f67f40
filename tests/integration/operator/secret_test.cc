// The token Secret against the real API server (PRODUCT.md §3 rules 6, 7, 10
// and the preconditions of a mint): a deleted or edited Secret is re-minted,
// a foreign Secret is never touched, duplicate display names and missing or
// clashing ServiceUsers block minting, deletion follows deletionPolicy, and
// no minted token ever appears anywhere but in its Secret (non-negotiable 2).
//
// The first test needs kube-controller-manager (garbage collection), so it
// asks for the shared plane with it before anything else: ctest runs every
// TEST in its own process; when the binary runs directly, run it first
// (--gtest_filter=Secret* keeps it first).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <set>

#include "api/base64.h"
#include "operator_harness.h"
#include "token/token_hash.h"

namespace sttest {
namespace {

constexpr const char* kNs = OperatorHarness::kNamespace;

// The condition `type` of an object's status, or null.
ctrl::Json conditionOf(const ctrl::Json& object, const std::string& type) {
  if (object.is_null() || !object.contains("status") || !object["status"].contains("conditions")) {
    return nullptr;
  }
  for (const auto& c : object["status"]["conditions"]) {
    if (c.value("type", "") == type) return c;
  }
  return nullptr;
}

std::string conditionField(const ctrl::Json& object, const std::string& type,
                           const std::string& field) {
  ctrl::Json c = conditionOf(object, type);
  return c.is_null() ? std::string() : c.value(field, "");
}

ctrl::Json serviceUserObject(OperatorHarness& h, const std::string& name) {
  auto got = h.api().get(st::serviceUserResource(), kNs, name);
  return got.isOk() ? std::move(got).value() : ctrl::Json(nullptr);
}

// A decoded Secret data value, or "" when absent. Callers must never print it.
std::string secretData(OperatorHarness& h, const std::string& name, const std::string& key) {
  ctrl::Json s = h.secret(name);
  if (s.is_null() || !s.contains("data") || !s["data"].contains(key)) return "";
  auto value = st::base64Decode(s["data"][key].get<std::string>());
  return value.isOk() ? std::move(value).value() : std::string();
}

// Whether an event of `type` and `reason` about `name` exists.
bool hasEvent(OperatorHarness& h, const std::string& name, const std::string& type,
              const std::string& reason) {
  ctrl::ListOptions o;
  o.fieldSelector = "regarding.name=" + name;
  auto page = h.api().list(ctrl::resources::event(), kNs, o);
  if (!page.isOk()) return false;
  for (const auto& e : *page->items) {
    if (e.value("type", "") == type && e.value("reason", "") == reason) return true;
  }
  return false;
}

// --------------------------------------------------------------- rule 10

TEST(Secret, DeletionPolicyDeleteLetsTheGarbageCollectorRemoveTheSecretAndRetainKeepsIt) {
  ControlPlaneOptions withGc;
  withGc.withControllerManager = true;
  ControlPlane& plane = sharedControlPlane(withGc);
  OperatorHarness h(plane);
  h.apply(serviceUser("gc-user", "Secret Test GC User"));
  h.apply(serviceToken("gc-delete", "gc-user", "GC Delete"));
  h.apply(
      serviceToken("gc-retain", "gc-user", "GC Retain", "  secret:\n    deletionPolicy: Retain\n"));
  h.start();
  ASSERT_TRUE(h.waitPhase("gc-delete", "Active"));
  ASSERT_TRUE(h.waitPhase("gc-retain", "Active"));

  const ctrl::Json deleteToken = h.token("gc-delete");
  const ctrl::Json retainToken = h.token("gc-retain");
  ctrl::Json deleteSecret = h.secret("gc-delete");
  ASSERT_FALSE(deleteSecret.is_null());
  ASSERT_EQ(deleteSecret["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(deleteSecret["metadata"]["ownerReferences"][0]["uid"], deleteToken["metadata"]["uid"]);
  EXPECT_EQ(deleteSecret["metadata"]["ownerReferences"][0]["controller"], true);
  ctrl::Json retainSecret = h.secret("gc-retain");
  ASSERT_FALSE(retainSecret.is_null());
  EXPECT_FALSE(retainSecret["metadata"].contains("ownerReferences"))
      << retainSecret["metadata"]["ownerReferences"].dump();

  // Retain first, so that by the time the collector has removed the Delete
  // one it has long had the chance to act on the Retain one.
  ProcessResult r = h.kubectl({"delete", "servicetoken", "gc-retain", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = h.kubectl({"delete", "servicetoken", "gc-delete", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return h.token("gc-delete").is_null(); }));
  EXPECT_TRUE(eventually([&] { return h.secret("gc-delete").is_null(); }, std::chrono::minutes(2)))
      << "the garbage collector did not remove the Secret of a deleted ServiceToken";

  retainSecret = h.secret("gc-retain");
  ASSERT_FALSE(retainSecret.is_null()) << "deletionPolicy Retain lost the Secret";
  EXPECT_FALSE(retainSecret["metadata"].contains("ownerReferences"));
  EXPECT_EQ(retainSecret["metadata"]["annotations"]["servicetoken.dev/token-id"],
            retainToken["status"]["tokenId"]);
  EXPECT_FALSE(secretData(h, "gc-retain", "token").empty());
}

// ---------------------------------------------------------------- rule 6

TEST(Secret, ADeletedSecretIsRecreatedWithANewTokenAndTheOldOneIsNotKept) {
  OperatorHarness h;
  h.apply(serviceUser("del-user", "Secret Test Deleted User"));
  h.apply(serviceToken("del", "del-user", "Deleted Secret"));
  h.start();
  ASSERT_TRUE(h.waitPhase("del", "Active"));
  const std::string firstId = h.token("del")["status"]["tokenId"];
  const std::string firstValue = secretData(h, "del", "token");
  ASSERT_FALSE(firstValue.empty());
  ASSERT_EQ(h.revision("del"), 1);

  h.client().reset();
  ProcessResult r = h.kubectl({"delete", "secret", "del", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return h.revision("del") == 2 && h.phase("del") == "Active"; }));

  ctrl::Json t = h.token("del");
  const ctrl::Json& s = t["status"];
  EXPECT_NE(s["tokenId"], firstId);
  EXPECT_FALSE(s.contains("previousToken")) << "a deleted token must not be kept as previous";
  EXPECT_EQ(conditionField(t, "Ready", "status"), "True");

  ctrl::Json secret = h.secret("del");
  ASSERT_FALSE(secret.is_null());
  EXPECT_EQ(secret["metadata"]["annotations"]["servicetoken.dev/token-id"], s["tokenId"]);
  EXPECT_EQ(secret["metadata"]["annotations"]["servicetoken.dev/revision"], "2");
  EXPECT_FALSE(secret["metadata"]["annotations"].contains("servicetoken.dev/previous-token-id"));
  EXPECT_FALSE(secret["data"].contains("token.previous"));
  ASSERT_EQ(secret["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], t["metadata"]["uid"]);
  const std::string secondValue = secretData(h, "del", "token");
  EXPECT_TRUE(secondValue != firstValue) << "the recreated Secret holds the deleted token";
  EXPECT_EQ(st::tokenHash(secondValue), s["tokenHash"]);

  EXPECT_TRUE(eventually([&] { return hasEvent(h, "del", "Warning", "SecretRecreated"); }));
  // Exactly one new Secret; nothing updated in place.
  EXPECT_EQ(h.client().count("create", "secrets"), 1);
  EXPECT_EQ(h.client().count("update", "secrets"), 0);
}

// Something keeps deleting the Secret (a pruning GitOps tool, say): after
// three automatic mints within the hour the guard stops minting, on the real
// API server, until the spec changes.
TEST(Secret, ASecretDeletedAgainAndAgainTripsTheMintRateGuard) {
  OperatorHarness h;
  h.apply(serviceUser("prune-user", "Secret Test Pruned User"));
  h.apply(serviceToken("pruned", "prune-user", "Pruned Secret"));
  h.start();
  ASSERT_TRUE(h.waitPhase("pruned", "Active"));
  for (int revision = 2; revision <= 4; ++revision) {
    ASSERT_EQ(h.kubectl({"delete", "secret", "pruned", "-n", kNs}).exitCode, 0);
    ASSERT_TRUE(eventually([&] { return h.revision("pruned") == revision; })) << revision;
    ASSERT_TRUE(eventually([&] { return !h.secret("pruned").is_null(); }));
  }
  h.client().reset();
  ASSERT_EQ(h.kubectl({"delete", "secret", "pruned", "-n", kNs}).exitCode, 0);
  ASSERT_TRUE(eventually([&] {
    return conditionField(h.token("pruned"), "Stalled", "reason") == "MintRateExceeded";
  }));
  EXPECT_EQ(conditionField(h.token("pruned"), "Stalled", "status"), "True");
  EXPECT_EQ(h.client().count("create", "secrets"), 0);
  EXPECT_EQ(h.revision("pruned"), 4);
  EXPECT_TRUE(h.secret("pruned").is_null());
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "pruned", "Warning", "MintRateExceeded"); }));

  // A human changes the spec: one mint, and the guard is released.
  h.apply(serviceToken("pruned", "prune-user", "Pruned Secret",
                       "  secret: {labels: {fixed: \"yes\"}}\n"));
  ASSERT_TRUE(
      eventually([&] { return h.revision("pruned") == 5 && h.phase("pruned") == "Active"; }));
  EXPECT_EQ(conditionField(h.token("pruned"), "Stalled", "status"), "False");
  EXPECT_EQ(h.client().count("create", "secrets"), 1);
}

TEST(Secret, ChangingTheSecretNameMovesTheTokenAndDeletesTheOldSecret) {
  OperatorHarness h;
  h.apply(serviceUser("move-user", "Secret Test Move User"));
  h.apply(serviceToken("move", "move-user", "Moved Secret"));
  h.start();
  ASSERT_TRUE(h.waitPhase("move", "Active"));
  h.apply(serviceToken("move", "move-user", "Moved Secret", "  secret: {name: move-elsewhere}\n"));
  ASSERT_TRUE(eventually([&] {
    return h.token("move")["status"].value("secretName", "") == "move-elsewhere" &&
           h.secret("move").is_null();
  }));
  ctrl::Json t = h.token("move");
  EXPECT_EQ(t["status"]["phase"], "Active");
  EXPECT_EQ(st::tokenHash(secretData(h, "move-elsewhere", "token")), t["status"]["tokenHash"]);
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "move", "Normal", "SecretMoved"); }));
  EXPECT_FALSE(hasEvent(h, "move", "Warning", "SecretRecreated"));
}

TEST(Secret, DeletingTheServiceUserRevokesItsTokens) {
  OperatorHarness h;
  h.apply(serviceUser("gone-user", "Secret Test Gone User"));
  h.apply(serviceToken("gone", "gone-user", "Gone User Token"));
  h.start();
  ASSERT_TRUE(h.waitPhase("gone", "Active"));
  const std::string first = h.token("gone")["status"]["tokenId"];
  ASSERT_EQ(h.kubectl({"delete", "serviceuser", "gone-user", "-n", kNs}).exitCode, 0);
  ASSERT_TRUE(h.waitPhase("gone", "Revoked"));
  EXPECT_EQ(conditionField(h.token("gone"), "Ready", "status"), "False");
  // Created again: a new user, so a new token; the old one stays revoked.
  h.apply(serviceUser("gone-user", "Secret Test Gone User"));
  ASSERT_TRUE(eventually([&] { return h.phase("gone") == "Active" && h.revision("gone") == 2; }));
  EXPECT_NE(h.token("gone")["status"]["tokenId"], first);
  EXPECT_FALSE(h.token("gone")["status"].contains("previousToken"));
}

TEST(Secret, AnEditedSecretValueIsReplacedByANewTokenWhoseHashIsInStatus) {
  OperatorHarness h;
  h.apply(serviceUser("edit-user", "Secret Test Edited User"));
  h.apply(serviceToken("edit", "edit-user", "Edited Secret"));
  h.start();
  ASSERT_TRUE(h.waitPhase("edit", "Active"));
  const std::string firstId = h.token("edit")["status"]["tokenId"];
  const std::string firstValue = secretData(h, "edit", "token");
  ASSERT_FALSE(firstValue.empty());

  const std::string edited = st::base64Encode("a value someone pasted by hand");
  ProcessResult r = h.kubectl({"patch", "secret", "edit", "-n", kNs, "--type", "merge", "-p",
                               R"({"data":{"token":")" + edited + R"("}})"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] {
    return h.revision("edit") == 2 && h.token("edit")["status"].value("tokenHash", "") ==
                                          st::tokenHash(secretData(h, "edit", "token"));
  })) << "no new token was minted for the edited Secret (revision "
      << h.revision("edit") << ")";

  ctrl::Json t = h.token("edit");
  EXPECT_EQ(h.phase("edit"), "Active");
  EXPECT_NE(t["status"]["tokenId"], firstId);
  EXPECT_FALSE(t["status"].contains("previousToken"));
  const std::string newValue = secretData(h, "edit", "token");
  EXPECT_TRUE(newValue != firstValue) << "the old token came back";
  EXPECT_TRUE(newValue != "a value someone pasted by hand") << "the edit was kept";
  EXPECT_EQ(st::tokenHash(newValue), t["status"]["tokenHash"]);
  EXPECT_EQ(h.secretAnnotation("edit", "servicetoken.dev/token-hash"), t["status"]["tokenHash"]);
  EXPECT_EQ(h.secretAnnotation("edit", "servicetoken.dev/revision"), "2");
  // The edited value is not a token of ours: it is not kept as previous either.
  EXPECT_TRUE(secretData(h, "edit", "token.previous").empty());
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "edit", "Warning", "SecretRecreated"); }));
}

// ---------------------------------------------------------------- rule 7

TEST(Secret, AForeignSecretWithTheTargetNameIsNeverTouched) {
  OperatorHarness h;
  ProcessResult r =
      h.kubectl({"create", "secret", "generic", "foreign", "-n", kNs,
                 "--from-literal=token=somebody-elses-value", "--from-literal=other=kept"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const ctrl::Json before = h.secret("foreign");
  ASSERT_FALSE(before.is_null());

  h.apply(serviceUser("foreign-user", "Secret Test Foreign User"));
  h.apply(serviceToken("foreign", "foreign-user", "Foreign Secret"));
  h.start();
  ASSERT_TRUE(h.waitPhase("foreign", "Failed"));

  ctrl::Json t = h.token("foreign");
  EXPECT_EQ(conditionField(t, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(t, "Ready", "reason"), "SecretNotOwned");
  EXPECT_EQ(conditionField(t, "Stalled", "status"), "True");
  EXPECT_EQ(conditionField(t, "Stalled", "reason"), "SecretNotOwned");
  EXPECT_EQ(conditionField(t, "Issuing", "status"), "False");
  EXPECT_EQ(t["status"].value("tokenHash", ""), "");
  EXPECT_EQ(t["status"].value("tokenId", ""), "");
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "foreign", "Warning", "SecretNotOwned"); }));

  // Another reconcile (an unrelated label edit) changes nothing either.
  const double reconciled = OperatorHarness::reconciles("servicetoken");
  r = h.kubectl({"label", "servicetoken", "foreign", "-n", kNs, "poke=1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(
      eventually([&] { return OperatorHarness::reconciles("servicetoken") >= reconciled + 1; }));
  EXPECT_EQ(h.phase("foreign"), "Failed");

  const ctrl::Json after = h.secret("foreign");
  ASSERT_FALSE(after.is_null());
  EXPECT_EQ(after["metadata"]["resourceVersion"], before["metadata"]["resourceVersion"]);
  EXPECT_EQ(after["metadata"]["uid"], before["metadata"]["uid"]);
  EXPECT_TRUE(after["data"] == before["data"]) << "the foreign Secret's data changed";
  EXPECT_EQ(after["type"], "Opaque");
  EXPECT_EQ(h.client().count("update", "secrets"), 0);
  EXPECT_EQ(h.client().count("patch", "secrets"), 0);
  EXPECT_EQ(h.client().count("delete", "secrets"), 0);

  // The human fix: remove the foreign Secret. The operator does not watch
  // unlabelled Secrets, so it rechecks a SecretNotOwned token periodically.
  r = h.kubectl({"delete", "secret", "foreign", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] {
    h.advance(std::chrono::minutes(1));
    return h.phase("foreign") == "Active";
  })) << "the token stayed Failed after the foreign Secret was removed";
  ctrl::Json mine = h.secret("foreign");
  ASSERT_FALSE(mine.is_null());
  EXPECT_EQ(mine["type"], "servicetoken.dev/token");
  EXPECT_NE(mine["metadata"]["uid"], before["metadata"]["uid"]);
  EXPECT_EQ(conditionField(h.token("foreign"), "Stalled", "status"), "False");
  EXPECT_EQ(h.revision("foreign"), 1);
}

// ------------------------------------------------- preconditions of a mint

TEST(Secret, TheYoungerOfTwoTokensWithOneDisplayNameIsRefusedUntilTheOlderGoes) {
  OperatorHarness h;
  h.apply(serviceUser("dup-user", "Secret Test Duplicate User"));
  h.apply(serviceToken("dup-older", "dup-user", "Airflow Service User"));
  h.start();
  ASSERT_TRUE(h.waitPhase("dup-older", "Active"));
  // Created later (and "dup-older" < "dup-younger" should the second match).
  h.apply(serviceToken("dup-younger", "dup-user", "Airflow Service User"));
  ASSERT_TRUE(h.waitPhase("dup-younger", "Failed"));

  ctrl::Json t = h.token("dup-younger");
  EXPECT_EQ(conditionField(t, "Ready", "status"), "False");
  EXPECT_EQ(conditionField(t, "Ready", "reason"), "DuplicateName");
  EXPECT_EQ(conditionField(t, "Stalled", "status"), "True");
  EXPECT_EQ(conditionField(t, "Stalled", "reason"), "DuplicateName");
  EXPECT_EQ(t["status"].value("revision", int64_t{0}), 0);
  EXPECT_TRUE(h.secret("dup-younger").is_null());
  EXPECT_EQ(h.phase("dup-older"), "Active");
  EXPECT_EQ(h.revision("dup-older"), 1);
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "dup-younger", "Warning", "DuplicateName"); }));

  ProcessResult r = h.kubectl({"delete", "servicetoken", "dup-older", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(h.waitPhase("dup-younger", "Active"))
      << "the younger token was not re-reconciled when the older one went away";
  t = h.token("dup-younger");
  EXPECT_EQ(conditionField(t, "Ready", "status"), "True");
  EXPECT_EQ(conditionField(t, "Stalled", "status"), "False");
  EXPECT_EQ(h.revision("dup-younger"), 1);
  ASSERT_FALSE(h.secret("dup-younger").is_null());
  EXPECT_EQ(st::tokenHash(secretData(h, "dup-younger", "token")), t["status"]["tokenHash"]);
}

TEST(Secret, RenamingTheOlderTokenFreesItsDisplayNameForTheYounger) {
  OperatorHarness h;
  h.apply(serviceUser("rename-user", "Secret Test Rename User"));
  h.apply(serviceToken("rename-older", "rename-user", "dbt Service User"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rename-older", "Active"));
  h.apply(serviceToken("rename-younger", "rename-user", "dbt Service User"));
  ASSERT_TRUE(h.waitPhase("rename-younger", "Failed"));
  EXPECT_EQ(conditionField(h.token("rename-younger"), "Ready", "reason"), "DuplicateName");

  // The human fix: give the older token another name. Only the older one
  // changes, yet the younger one must be looked at again.
  h.apply(serviceToken("rename-older", "rename-user", "dbt Service User (old)"));
  ASSERT_TRUE(h.waitPhase("rename-younger", "Active"))
      << "the younger token stayed refused after the older one was renamed";
  EXPECT_EQ(conditionField(h.token("rename-younger"), "Stalled", "status"), "False");
  EXPECT_FALSE(h.secret("rename-younger").is_null());
  // The renamed token carries its name in the JWT: it is replaced (rule 5).
  EXPECT_TRUE(eventually([&] { return h.revision("rename-older") == 2; }));
  EXPECT_EQ(h.phase("rename-older"), "Active");
}

// creationTimestamp has a resolution of one second, so "younger" alone cannot
// order two tokens created within one second. Whatever breaks the tie, a
// token that already holds a minted token must not lose to one created in
// the same second afterwards: that would mint a second token with the name.
TEST(Secret, ATokenCreatedInTheSameSecondAfterAMintedOneWithItsNameIsRefused) {
  OperatorHarness h;
  h.apply(serviceUser("tie-user", "Secret Test Tie User"));
  h.start();
  bool sameSecond = false;
  for (int attempt = 0; attempt < 8 && !sameSecond; ++attempt) {
    SCOPED_TRACE("attempt " + std::to_string(attempt));
    // The name sorting last is created (and minted) first.
    const std::string first = "tie" + std::to_string(attempt) + "-z";
    const std::string second = "tie" + std::to_string(attempt) + "-a";
    const std::string displayName = "Tie Token " + std::to_string(attempt);
    // Start right after a second boundary so both creations likely share it.
    const auto second0 = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    ASSERT_TRUE(eventually([&] {
      return std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) > second0;
    }));
    h.apply(serviceToken(first, "tie-user", displayName));
    ASSERT_TRUE(eventually([&] { return !h.secret(first).is_null(); }));
    h.apply(serviceToken(second, "tie-user", displayName));
    sameSecond = h.token(first)["metadata"]["creationTimestamp"] ==
                 h.token(second)["metadata"]["creationTimestamp"];

    ASSERT_TRUE(h.waitPhase(second, "Failed")) << "got phase " << h.phase(second);
    EXPECT_EQ(conditionField(h.token(second), "Ready", "reason"), "DuplicateName");
    EXPECT_TRUE(h.secret(second).is_null()) << "a second token with one name was minted";
    // Another look at the first (as a resync would) keeps it Active.
    const double reconciled = OperatorHarness::reconciles("servicetoken");
    ProcessResult r = h.kubectl({"label", "servicetoken", first, "-n", kNs, "poke=1"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(
        eventually([&] { return OperatorHarness::reconciles("servicetoken") >= reconciled + 1; }));
    EXPECT_TRUE(h.waitPhase(first, "Active"));
    EXPECT_EQ(conditionField(h.token(first), "Ready", "status"), "True");
    EXPECT_EQ(h.revision(first), 1);
  }
  if (!sameSecond) GTEST_SKIP() << "could not create two tokens within one second";
}

TEST(Secret, ATokenWaitsForItsServiceUserAndIsMintedOnceItExists) {
  OperatorHarness h;
  h.apply(serviceToken("waiting", "late-user", "Waiting Token"));
  h.start();
  ASSERT_TRUE(eventually([&] {
    return conditionField(h.token("waiting"), "Ready", "reason") == "ServiceUserNotFound";
  }));
  ctrl::Json t = h.token("waiting");
  EXPECT_EQ(h.phase("waiting"), "Pending");
  EXPECT_EQ(conditionField(t, "Ready", "status"), "False");
  // Waiting is progress, not a failure that needs a human.
  EXPECT_EQ(conditionField(t, "Stalled", "status"), "False");
  EXPECT_THAT(conditionField(t, "Ready", "message"), ::testing::HasSubstr("late-user"));
  EXPECT_TRUE(h.secret("waiting").is_null());
  EXPECT_TRUE(eventually([&] { return hasEvent(h, "waiting", "Normal", "ServiceUserNotFound"); }));

  h.apply(serviceUser("late-user", "Secret Test Late User"));
  ASSERT_TRUE(h.waitPhase("waiting", "Active"));
  t = h.token("waiting");
  EXPECT_EQ(conditionField(t, "Ready", "status"), "True");
  EXPECT_EQ(t["status"]["serviceUserId"], "secret_test_late_user@default.service");
  EXPECT_EQ(h.revision("waiting"), 1);
  ASSERT_FALSE(h.secret("waiting").is_null());
  EXPECT_EQ(secretData(h, "waiting", "service-user"), "secret_test_late_user@default.service");
}

TEST(Secret, TheYoungerOfTwoServiceUsersWithOneUserIdIsNotReadyAndGetsNoToken) {
  OperatorHarness h;
  h.apply(serviceUser("clash-older", "Secret Test Clash"));
  h.start();
  ASSERT_TRUE(eventually([&] {
    return conditionField(serviceUserObject(h, "clash-older"), "Ready", "status") == "True";
  }));
  // Differs only in case and punctuation: the same userId.
  h.apply(serviceUser("clash-younger", "SECRET TEST CLASH!"));
  ASSERT_TRUE(eventually([&] {
    return conditionField(serviceUserObject(h, "clash-younger"), "Ready", "reason") ==
           "UserIdConflict";
  }));
  ctrl::Json younger = serviceUserObject(h, "clash-younger");
  EXPECT_EQ(conditionField(younger, "Ready", "status"), "False");
  EXPECT_EQ(younger["status"]["userId"], "secret_test_clash@default.service");
  EXPECT_EQ(conditionField(serviceUserObject(h, "clash-older"), "Ready", "status"), "True");

  // A token of the younger user is not minted: two users must never share
  // one identity.
  h.apply(serviceToken("clash-token", "clash-younger", "Clash Token"));
  ASSERT_TRUE(eventually([&] { return h.phase("clash-token") == "Pending"; }));
  EXPECT_EQ(conditionField(h.token("clash-token"), "Ready", "status"), "False");
  EXPECT_EQ(conditionField(h.token("clash-token"), "Ready", "reason"), "ServiceUserNotReady");
  EXPECT_TRUE(h.secret("clash-token").is_null());
}

// ------------------------------------------------- non-negotiable 2: leaks

// Every minted token in three forms and its unique JWT segments, by name only.
class TokenValues {
 public:
  // Records the value of `key` in Secret `secret` (if any) as "label".
  void collect(OperatorHarness& h, const std::string& secret, const std::string& key,
               const std::string& label) {
    const std::string value = secretData(h, secret, key);
    if (value.empty() || seen_.contains(value)) return;
    seen_.insert(value);
    const size_t dot1 = value.find('.');
    const size_t dot2 = value.find('.', dot1 == std::string::npos ? 0 : dot1 + 1);
    ASSERT_TRUE(dot1 != std::string::npos && dot2 != std::string::npos)
        << label << " is not a compact JWS";
    needles_.push_back({label + " (raw)", value});
    needles_.push_back({label + " (base64)", st::base64Encode(value)});
    needles_.push_back({label + " (payload segment)", value.substr(dot1 + 1, dot2 - dot1 - 1)});
    needles_.push_back({label + " (signature segment)", value.substr(dot2 + 1)});
  }
  size_t tokens() const { return seen_.size(); }
  // How many of the recorded forms `haystack` contains (a self-check).
  size_t foundIn(const std::string& haystack) const {
    size_t n = 0;
    for (const auto& [name, needle] : needles_) n += haystack.find(needle) != std::string::npos;
    return n;
  }

  // Expects that `haystack` contains none of the values; messages name them.
  void expectAbsentFrom(const std::string& haystack, const std::string& what) const {
    for (const auto& [name, needle] : needles_) {
      const bool leaked = haystack.find(needle) != std::string::npos;
      EXPECT_FALSE(leaked) << name << " appears in " << what;
    }
  }

 private:
  std::set<std::string> seen_;
  std::vector<std::pair<std::string, std::string>> needles_;
};

TEST(Secret, NoMintedTokenAppearsInLogsEventsStatusMetricsOrErrors) {
  LogCapture logs;  // JSON at the most verbose level, before the operator starts
  OperatorHarness h;
  TokenValues values;
  h.apply(serviceUser("leak-user", "Secret Test Leak User"));
  h.apply(serviceToken("leak", "leak-user", "Leak Token", "", "90d"));
  h.apply(serviceToken("leak-never", "leak-user", "Leak Never", "", "Never"));
  h.start();
  ASSERT_TRUE(h.waitPhase("leak", "Active"));
  ASSERT_TRUE(h.waitPhase("leak-never", "Active"));
  values.collect(h, "leak", "token", "first token");
  values.collect(h, "leak-never", "token", "never-expiring token");

  {
    SCOPED_TRACE("manual rotation");
    ProcessResult r = h.kubectl({"annotate", "servicetoken", "leak", "-n", kNs,
                                 "servicetoken.dev/rotate=first", "--overwrite"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(eventually([&] { return h.revision("leak") == 2; }));
    values.collect(h, "leak", "token", "rotated token");
    values.collect(h, "leak", "token.previous", "previous token after rotation");
    ASSERT_EQ(values.tokens(), 3u);
  }
  {
    SCOPED_TRACE("Secret deleted");
    ProcessResult r = h.kubectl({"delete", "secret", "leak", "-n", kNs});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(eventually([&] { return h.revision("leak") == 3; }));
    values.collect(h, "leak", "token", "token after Secret deletion");
  }
  {
    SCOPED_TRACE("Secret edited");
    ProcessResult r = h.kubectl({"patch", "secret", "leak", "-n", kNs, "--type", "merge", "-p",
                                 R"({"data":{"token":")" + st::base64Encode("edited") + R"("}})"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(eventually([&] { return h.revision("leak") == 4; }));
    values.collect(h, "leak", "token", "token after the Secret was edited");
  }
  {
    SCOPED_TRACE("failed Secret update, then retried");
    auto failures = std::make_shared<std::atomic<int>>(1);
    h.client().setFault([failures](const std::string& verb, const std::string& plural,
                                   const std::string& sub) {
      if (verb == "update" && plural == "secrets" && sub.empty() && failures->fetch_sub(1) > 0) {
        return ctrl::Status(ctrl::Code::kUnavailable, "injected: the API server went away");
      }
      return ctrl::Status::ok();
    });
    ProcessResult r = h.kubectl({"annotate", "servicetoken", "leak", "-n", kNs,
                                 "servicetoken.dev/rotate=second", "--overwrite"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    ASSERT_TRUE(eventually([&] {
      return h.token("leak")["status"].value("failedAttempts", 0) == 1;
    })) << "the injected failure was not recorded";
    EXPECT_THAT(conditionField(h.token("leak"), "Issuing", "message"),
                ::testing::HasSubstr("injected"));
    EXPECT_TRUE(eventually([&] { return hasEvent(h, "leak", "Warning", "MintFailed"); }));
    // The retry waits for its backoff in fake time.
    ASSERT_TRUE(eventually([&] {
      h.advance(std::chrono::seconds(10));
      return h.revision("leak") == 5;
    }));
    values.collect(h, "leak", "token", "token after the retried rotation");
    values.collect(h, "leak", "token.previous", "previous token after the retried rotation");
    EXPECT_EQ(values.tokens(), 6u);
    h.client().setFault(nullptr);
  }
  ASSERT_TRUE(h.waitPhase("leak", "Active"));
  ASSERT_TRUE(eventually([&] { return hasEvent(h, "leak", "Normal", "Rotated"); }));
  ASSERT_TRUE(eventually([&] { return hasEvent(h, "leak", "Warning", "SecretRecreated"); }));
  ASSERT_TRUE(eventually([&] { return hasEvent(h, "leak-never", "Warning", "NeverExpires"); }));
  h.stop();  // flushes the event recorder; no more log lines are written

  // Logs, at the most verbose level. They did record the work (so an empty
  // capture cannot pass): token ids are public, values are not.
  const std::string logText = logs.text();
  EXPECT_THAT(logText, ::testing::HasSubstr("Minted token"));
  EXPECT_THAT(logText,
              ::testing::HasSubstr(h.token("leak")["status"]["tokenId"].get<std::string>()));
  values.expectAbsentFrom(logText, "the logs");

  // Every Event in the namespace, in full.
  auto events = h.api().list(ctrl::resources::event(), kNs, {});
  ASSERT_TRUE(events.isOk()) << events.status().toString();
  EXPECT_GE(events->items->size(), 5u);
  values.expectAbsentFrom(events->items->dump(), "the Events");

  // Every ServiceToken and ServiceUser in full (status, conditions and their
  // messages, including the failure's).
  auto tokens = h.api().list(st::serviceTokenResource(), kNs, {});
  ASSERT_TRUE(tokens.isOk()) << tokens.status().toString();
  values.expectAbsentFrom(tokens->items->dump(), "the ServiceTokens");
  auto users = h.api().list(st::serviceUserResource(), kNs, {});
  ASSERT_TRUE(users.isOk()) << users.status().toString();
  values.expectAbsentFrom(users->items->dump(), "the ServiceUsers");

  // Metrics.
  const std::string metrics = ctrl::renderMetrics(*ctrl::metricsRegistry());
  EXPECT_THAT(metrics, ::testing::HasSubstr("servicetoken_"));
  values.expectAbsentFrom(metrics, "the metrics");

  // The error text the failure produced, on its own.
  ctrl::Json leak = h.token("leak");
  std::string errors;
  for (const auto& c : leak["status"]["conditions"]) errors += c.value("message", "") + "\n";
  values.expectAbsentFrom(errors, "the condition messages");

  // The needles are real: the Secret holds the current and previous tokens
  // (base64 forms) and its decoded values hold them raw and in segments.
  const ctrl::Json secret = h.secret("leak");
  EXPECT_EQ(values.foundIn(secret.dump()), 2u);  // token and token.previous, base64
  const std::string current = secretData(h, "leak", "token");
  EXPECT_EQ(values.foundIn(current), 3u);  // raw, payload and signature segment
}

}  // namespace
}  // namespace sttest
