// Signing-key rotation on the real control plane with fake time: the
// schedule publishes a new key before it signs and keeps the old one while a
// token it signed is valid; `kubectl servicetoken rotate-signing-key
// --retire-old` withdraws the old key from the JWKS at once and re-mints
// every token exactly once with the new key, paced. Token values are read
// and verified here, never printed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "api/base64.h"
#include "api/types.h"
#include "authority/key_ring_record.h"
#include "authority/key_rotator.h"
#include "controller/object_meta.h"
#include "operator_harness.h"
#include "subprocess.h"
#include "token/jwks.h"
#include "token/jwt.h"

namespace sttest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::seconds;

constexpr auto kDay = hours(24);
constexpr const char* kKeySecret = "servicetoken-signing-keys";
constexpr const char* kJwksConfigMap = "servicetoken-jwks";

std::string decoded(const ctrl::Json& object, const std::string& key) {
  if (object.is_null() || !object.contains("data") || !object["data"].contains(key)) return "";
  auto v = st::base64Decode(object["data"][key].get<std::string>());
  return v.isOk() ? *v : std::string();
}

class KeyRotationTest : public ::testing::Test {
 protected:
  ctrl::Json operatorObject(const ctrl::Resource& r, const std::string& name) {
    auto got = h_.api().get(r, OperatorHarness::kOperatorNamespace, name);
    return got.isOk() ? std::move(got).value() : ctrl::Json(nullptr);
  }
  std::string activeKid() {
    return decoded(operatorObject(ctrl::resources::secret(), kKeySecret), "active-kid");
  }
  // The published JWKS (the ConfigMap verifiers read); empty when unreadable.
  st::Jwks jwks() {
    ctrl::Json cm = operatorObject(ctrl::resources::configMap(), kJwksConfigMap);
    if (cm.is_null() || !cm.contains("data")) return {};
    auto parsed = st::Jwks::parse(cm["data"].value("jwks.json", ""));
    return parsed.isOk() ? std::move(parsed).value() : st::Jwks();
  }
  bool published(const std::string& kid) { return jwks().find(kid) != nullptr; }
  st::KeyRingRecord ringRecord() {
    auto r = st::parseRingRecord(
        decoded(operatorObject(ctrl::resources::secret(), kKeySecret), "ring.json"));
    return r.isOk() ? std::move(r).value() : st::KeyRingRecord{};
  }
  // The token in a ServiceToken's Secret (kept in memory, never printed).
  std::string tokenValue(const std::string& name) { return decoded(h_.secret(name), "token"); }
  std::string kidOf(const std::string& name) { return st::jwtKeyId(tokenValue(name)); }
  // Whether `token` verifies against the published JWKS at fake now.
  bool verifies(const std::string& token) {
    return st::verifyJwt(token, jwks(), h_.clock().wallNow()).isOk();
  }
  // The kids the published JWKS may hold at fake now: the active key, a key
  // published that does not sign yet, and every key that signed a stored
  // token still in use (the current one, or the previous one within its
  // grace period). Anything else is a retired key left behind.
  std::set<std::string> kidsStillNeeded(const std::vector<std::string>& names) {
    std::set<std::string> kids{activeKid()};
    for (const auto& [kid, times] : ringRecord().keys) {
      if (!times.activated) kids.insert(kid);
    }
    const auto now = h_.clock().wallNow();
    for (const std::string& name : names) {
      ctrl::Json s = h_.secret(name);
      kids.insert(st::jwtKeyId(decoded(s, "token")));
      const std::string retained =
          s["metadata"]["annotations"].value(st::kPreviousRetainedUntilAnnotation, "");
      auto until = ctrl::parseRfc3339(retained);
      if (until.isOk() && *until > now) kids.insert(st::jwtKeyId(decoded(s, "token.previous")));
    }
    return kids;
  }
  // The published kids that are not still needed ("" when none).
  std::string leftBehind(const std::vector<std::string>& names) {
    const std::set<std::string> needed = kidsStillNeeded(names);
    std::string out;
    const st::Jwks published = jwks();
    for (const st::PublicKey& key : published.keys()) {
      if (!needed.contains(key.kid())) out += (out.empty() ? "" : ", ") + key.kid();
    }
    return out;
  }
  void applyToken(const std::string& name) {
    h_.apply(serviceToken(name, "keys", "Keys " + name));
    ASSERT_TRUE(h_.waitPhase(name, "Active")) << name << ": " << h_.phase(name);
  }

  OperatorHarness h_;
};

// Every unexpired token stored (current, and previous within its grace
// period) verifies against the published JWKS at fake now.
::testing::AssertionResult everyStoredTokenVerifies(KeyRotationTest& t, OperatorHarness& h,
                                                    const std::vector<std::string>& names,
                                                    const st::Jwks& jwks) {
  const auto now = h.clock().wallNow();
  for (const std::string& name : names) {
    ctrl::Json s = h.secret(name);
    auto current = st::verifyJwt(decoded(s, "token"), jwks, now);
    if (!current.isOk()) {
      return ::testing::AssertionFailure()
             << name << ": its token does not verify: " << current.status().message();
    }
    const std::string retained =
        s["metadata"]["annotations"].value(st::kPreviousRetainedUntilAnnotation, "");
    auto until = ctrl::parseRfc3339(retained);
    if (!retained.empty() && until.isOk() && *until > now) {
      auto previous = st::verifyJwt(decoded(s, "token.previous"), jwks, now);
      if (!previous.isOk() && previous.status().message().find("expired") == std::string::npos) {
        return ::testing::AssertionFailure()
               << name << ": its previous token does not verify: " << previous.status().message();
      }
    }
  }
  (void)t;
  return ::testing::AssertionSuccess();
}

TEST_F(KeyRotationTest, ScheduledRotationPublishesFirstSignsAfterTheDelayAndDropsTheOldKeyLast) {
  h_.options().signingKeyRotationInterval = 10 * kDay;
  h_.options().signingKeyPublishDelay = minutes(5);
  h_.start();
  h_.apply(serviceUser("keys", "Keys"));
  applyToken("early");
  const std::string oldKid = activeKid();
  ASSERT_FALSE(oldKid.empty());
  EXPECT_EQ(kidOf("early"), oldKid);
  EXPECT_EQ(jwks().keys().size(), 1u);

  // One publish delay before the rotation is due: a new key is published...
  h_.advance(10 * kDay - minutes(5));
  ASSERT_TRUE(eventually([&] { return jwks().keys().size() == 2; })) << "no next key published";
  EXPECT_EQ(activeKid(), oldKid) << "the new key signs before the publish delay";
  // ... and does not sign yet.
  applyToken("during");
  EXPECT_EQ(kidOf("during"), oldKid);

  // After the publish delay it signs; the old key stays published.
  h_.advance(minutes(5));
  ASSERT_TRUE(eventually([&] { return activeKid() != oldKid; })) << "the next key never signed";
  const std::string newKid = activeKid();
  EXPECT_TRUE(published(newKid));
  applyToken("after");
  EXPECT_EQ(kidOf("after"), newKid) << "a new token is not signed by the new key";
  const std::string earlyToken = tokenValue("early");
  EXPECT_TRUE(published(oldKid));
  EXPECT_TRUE(verifies(earlyToken)) << "an old token no longer verifies with the JWKS";

  // Day by day for 40 days (renewals re-sign the tokens, rotations go on):
  // every stored token keeps verifying against the published JWKS.
  const std::vector<std::string> names{"early", "during", "after"};
  for (int day = 0; day < 40; ++day) {
    h_.advance(kDay);
    EXPECT_TRUE(eventually([&] { return bool(everyStoredTokenVerifies(*this, h_, names, jwks())); },
                           std::chrono::seconds(10)))
        << "day " << day << ": " << everyStoredTokenVerifies(*this, h_, names, jwks()).message();
  }
  // Every token the old key signed has expired or been replaced (30-day
  // tokens renew at day 20, the previous one kept 7 days): it is gone.
  ASSERT_TRUE(eventually([&] { return !published(oldKid); })) << "the old key was never dropped";
  // Each step was told on the key Secret.
  EXPECT_TRUE(eventually([&] {
    h_.advance(std::chrono::milliseconds(250));  // as above: the recorder's hold
    const auto reasons = h_.eventReasons(kKeySecret, OperatorHarness::kOperatorNamespace);
    return std::ranges::count(reasons, "SigningKeyPublished") > 0 &&
           std::ranges::count(reasons, "SigningKeyActivated") > 0 &&
           std::ranges::count(reasons, "SigningKeysDropped") > 0;
  })) << ::testing::PrintToString(h_.eventReasons(kKeySecret, OperatorHarness::kOperatorNamespace));
  EXPECT_FALSE(verifies(earlyToken));
  EXPECT_FALSE(ringRecord().keys.contains(oldKid));
  // Retired keys do not pile up: each published key is still needed. How
  // many that is depends on where the last day fell in the rotation and
  // renewal cycles (10-day keys, 30-day tokens kept 7 days after renewal:
  // up to five), so the set is checked, not a count. A key that has just
  // become unneeded goes at the rotator's next run: fake time moves a
  // minute at a time meanwhile, far from the next rotation.
  EXPECT_TRUE(eventually([&] {
    if (leftBehind(names).empty()) return true;
    h_.advance(minutes(1));
    return false;
  })) << "retired keys pile up: "
      << leftBehind(names);
  for (const std::string& name : names) EXPECT_NE(kidOf(name), oldKid) << name;
}

TEST_F(KeyRotationTest, RetireOldWithdrawsTheOldKeyAtOnceAndReMintsEveryTokenExactlyOnce) {
  h_.options().signingKeyRemintsPerSecond = 2;  // a burst of 2, then 2 per (fake) second
  h_.start();
  h_.apply(serviceUser("keys", "Keys"));
  std::vector<std::string> names;
  for (int i = 0; i < 6; ++i) names.push_back("compromised-" + std::to_string(i));
  for (const std::string& name : names) h_.apply(serviceToken(name, "keys", "Keys " + name));
  std::map<std::string, int64_t> revisions;
  std::map<std::string, std::string> oldTokens;
  for (const std::string& name : names) {
    ASSERT_TRUE(h_.waitPhase(name, "Active")) << name;
    revisions[name] = h_.revision(name);
    oldTokens[name] = tokenValue(name);
  }
  const std::string oldKid = activeKid();
  for (const std::string& name : names) ASSERT_EQ(kidOf(name), oldKid);

  const auto started = std::chrono::steady_clock::now();
  ProcessResult r =
      runProcess({std::string(ST_BINARY_DIR) + "/bin/kubectl-servicetoken", "--kubeconfig",
                  h_.plane().kubeconfig(), "rotate-signing-key", "--retire-old"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::HasSubstr("withdraws every old key"));

  // At once, without any time passing: the old key is out of the JWKS.
  ASSERT_TRUE(eventually([&] { return !oldKid.empty() && !published(oldKid); }))
      << "the old key is still published";
  const std::string newKid = activeKid();
  ASSERT_NE(newKid, oldKid);
  EXPECT_TRUE(published(newKid));
  EXPECT_EQ(jwks().keys().size(), 1u);
  std::cout << "old key out of the JWKS "
            << std::chrono::duration_cast<std::chrono::milliseconds>(
                   std::chrono::steady_clock::now() - started)
                   .count()
            << " ms after the plugin was started\n";
  for (const auto& [name, token] : oldTokens) {
    EXPECT_FALSE(verifies(token)) << name << ": a token of the withdrawn key still verifies";
  }

  // Paced: while fake time stands still, the bucket's burst (2) is all.
  auto reminted = [&] {
    int n = 0;
    for (const std::string& name : names) n += h_.revision(name) > revisions[name] ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return reminted() >= 2; }));
  EXPECT_EQ(reminted(), 2) << "re-mints beyond the pacer's burst without time passing";

  // Time passes: the rest follow, a couple per second (a refused re-mint is
  // retried a second and a millisecond later).
  for (int second = 0; second < 30 && reminted() < int(names.size()); ++second) {
    h_.advance(seconds(1) + std::chrono::milliseconds(5));
    eventually([&] { return reminted() >= std::min<int>(names.size(), 2 * (second + 2)); },
               std::chrono::seconds(5));
  }
  ASSERT_EQ(reminted(), int(names.size()));
  for (const std::string& name : names) {
    ASSERT_TRUE(eventually([&] { return h_.phase(name) == "Active" && kidOf(name) == newKid; }))
        << name;
    EXPECT_TRUE(verifies(tokenValue(name))) << name;
    EXPECT_FALSE(h_.secret(name)["data"].contains("token.previous"))
        << name << ": the withdrawn key's token was kept as previous";
    ctrl::Json status = h_.token(name)["status"];
    EXPECT_TRUE(!status.contains("automaticMints") || status["automaticMints"].empty())
        << name << ": a re-mint was counted by the mint-rate guard";
    // Events are sent asynchronously, after the queued reconciles: the
    // recorder re-checks that every 200 ms of the operator's (fake) clock,
    // so the clock has to move while we wait.
    EXPECT_TRUE(eventually([&] {
      h_.advance(std::chrono::milliseconds(250));
      return std::ranges::count(h_.eventReasons(name), "SigningKeyRetired") > 0;
    })) << name
        << ": " << ::testing::PrintToString(h_.eventReasons(name));
  }
  EXPECT_TRUE(eventually([&] {
    h_.advance(std::chrono::milliseconds(250));  // as above: the recorder's hold
    const auto reasons = h_.eventReasons(kKeySecret, OperatorHarness::kOperatorNamespace);
    return std::ranges::count(reasons, "SigningKeysRevoked") > 0;
  })) << "the withdrawal was not told as a Warning on the key Secret";

  // Exactly once: more time, more passes of the rotator, no second re-mint.
  for (int i = 0; i < 10 && !ringRecord().revoked.empty(); ++i) {
    h_.advance(minutes(1));
    eventually([&] { return ringRecord().revoked.empty(); }, std::chrono::seconds(2));
  }
  EXPECT_TRUE(ringRecord().revoked.empty())
      << "the withdrawn kid is remembered although no stored token carries it";
  for (const std::string& name : names) {
    EXPECT_EQ(h_.revision(name), revisions[name] + 1) << name << " was not re-minted exactly once";
  }
}

// A restart in the middle of the re-mints: the new process finds the
// withdrawn kid in the key Secret's history and re-mints the rest, each
// token still exactly once.
TEST_F(KeyRotationTest, ReMintsAfterRetireOldResumeAfterARestart) {
  h_.options().signingKeyRemintsPerSecond = 0.1;  // a burst of 1, then one per 10 (fake) seconds
  h_.start();
  h_.apply(serviceUser("keys", "Keys"));
  const std::vector<std::string> names{"resume-0", "resume-1", "resume-2"};
  std::map<std::string, int64_t> revisions;
  for (const std::string& name : names) {
    applyToken(name);
    revisions[name] = h_.revision(name);
  }
  const std::string oldKid = activeKid();
  ProcessResult r =
      runProcess({std::string(ST_BINARY_DIR) + "/bin/kubectl-servicetoken", "--kubeconfig",
                  h_.plane().kubeconfig(), "rotate-signing-key", "--retire-old"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto reminted = [&] {
    int n = 0;
    for (const std::string& name : names) n += h_.revision(name) > revisions[name] ? 1 : 0;
    return n;
  };
  ASSERT_TRUE(eventually([&] { return reminted() == 1; })) << "the first re-mint never came";
  h_.stop();
  EXPECT_EQ(reminted(), 1) << "re-mints beyond the burst without time passing";
  ASSERT_TRUE(ringRecord().revoked.contains(oldKid));

  h_.start();  // a new process: a full bucket again, and the withdrawn kid from the Secret
  for (int i = 0; i < 30 && reminted() < int(names.size()); ++i) {
    h_.advance(seconds(10) + std::chrono::milliseconds(5));
    eventually([&] { return reminted() == int(names.size()); }, std::chrono::seconds(2));
  }
  ASSERT_EQ(reminted(), int(names.size())) << "the re-mints did not resume after the restart";
  for (int i = 0; i < 3; ++i) h_.advance(minutes(1));
  for (const std::string& name : names) {
    EXPECT_TRUE(eventually([&] { return kidOf(name) == activeKid(); })) << name;
    EXPECT_EQ(h_.revision(name), revisions[name] + 1) << name << " was not re-minted exactly once";
  }
}

// Two replicas deciding on the same key Secret at once: the second write
// carries a stale resourceVersion and the API server refuses it, so exactly
// one next key is created; the loser reads again and has nothing to do.
TEST_F(KeyRotationTest, TwoRotatorsRacingOnOneSecretCreateOneKey) {
  ASSERT_EQ(h_.kubectl({"create", "namespace", "keys-cas"}).exitCode, 0);
  st::KeyRotatorOptions options;
  options.keys.ns = "keys-cas";
  options.interval = 10 * kDay;
  options.publishDelay = minutes(5);
  auto ring = st::loadOrCreateSigningKeys(h_.api(), options.keys, h_.clock().wallNow());
  ASSERT_TRUE(ring.isOk()) << ring.status().toString();
  st::BuiltinAuthority authorityA(*ring, {});
  st::BuiltinAuthority authorityB(*ring, {});
  // A writes through the recording client; B through the plain one.
  st::KeyRotatorDeps depsA;
  depsA.client = &h_.client();
  depsA.clock = &h_.clock();
  depsA.authority = &authorityA;
  st::KeyRotatorDeps depsB = depsA;
  depsB.client = &h_.api();
  depsB.authority = &authorityB;
  st::KeyRotator a(options, depsA);
  st::KeyRotator b(options, depsB);
  h_.advance(10 * kDay - minutes(5));

  int raced = 0;
  h_.client().setFault([&](const std::string& verb, const std::string& plural, const std::string&) {
    if (verb == "update" && plural == "secrets" && raced++ == 0) {
      // B decides and writes between A's read and A's write.
      auto next = b.step();
      EXPECT_TRUE(next.isOk()) << next.status().toString();
    }
    return ctrl::Status::ok();
  });
  auto first = a.step();
  ASSERT_TRUE(first.isOk()) << first.status().toString();
  EXPECT_EQ(raced, 1) << "A never tried to write";
  auto again = a.step();  // A reads B's result: nothing left to do
  ASSERT_TRUE(again.isOk()) << again.status().toString();
  EXPECT_EQ(raced, 1) << "A wrote again after losing the race";

  auto secret = h_.api().get(ctrl::resources::secret(), "keys-cas", options.keys.secretName);
  ASSERT_TRUE(secret.isOk());
  int pems = 0;
  for (const auto& [k, v] : (*secret)["data"].items()) pems += k.ends_with(".pem") ? 1 : 0;
  EXPECT_EQ(pems, 2) << "both replicas created a next key";
  auto record = st::parseRingRecord(decoded(*secret, "ring.json"));
  ASSERT_TRUE(record.isOk());
  EXPECT_EQ(record->keys.size(), 2u);
  EXPECT_FALSE(st::nextKeyId(*record).empty());
}

}  // namespace
}  // namespace sttest
