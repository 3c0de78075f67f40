// Rotation and expiry against the real API server with fake time
// (PRODUCT.md §3 rules 3, 4, 5, 8, 9): scheduled rotation into the same
// Secret with a grace period, manual rotation by annotation, spec changes,
// Never, and expiry with rotation disabled.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "api/base64.h"
#include "api/types.h"
#include "controller/object_meta.h"
#include "operator_harness.h"
#include "policy/schedule.h"
#include "token/token_hash.h"

namespace sttest {
namespace {

using std::chrono::hours;
using std::chrono::seconds;

constexpr auto kDay = hours(24);

// A ServiceToken manifest with a free-form lifetime line ("expiration: 30d"
// or "expiresInDays: 1") and optional metadata annotations (YAML lines
// indented by four spaces).
std::string tokenManifest(const std::string& name, const std::string& displayName,
                          const std::string& lifetime, const std::string& extraSpec = "",
                          const std::string& annotations = "") {
  std::string out =
      "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata:\n  name: " + name +
      "\n  namespace: default\n";
  if (!annotations.empty()) out += "  annotations:\n" + annotations;
  out += "spec:\n  displayName: " + displayName +
         "\n  type: Service\n  serviceUserRef: {name: " + name + "}\n  " + lifetime + "\n" +
         extraSpec;
  return out;
}

// The decoded value of a Secret data key, or "" when absent.
std::string dataValue(const ctrl::Json& secret, const std::string& key) {
  if (secret.is_null() || !secret.contains("data") || !secret["data"].contains(key)) return "";
  auto v = st::base64Decode(secret["data"][key].get<std::string>());
  return v.isOk() ? *v : std::string();
}

bool hasData(const ctrl::Json& secret, const std::string& key) {
  return !secret.is_null() && secret.contains("data") && secret["data"].contains(key);
}

std::string label(const ctrl::Json& object, const std::string& key) {
  if (object.is_null() || !object["metadata"].contains("labels")) return "";
  return object["metadata"]["labels"].value(key, "");
}

bool hasLabel(const ctrl::Json& object, const std::string& key) {
  return !object.is_null() && object["metadata"].contains("labels") &&
         object["metadata"]["labels"].contains(key);
}

ctrl::WallTime timeOf(const ctrl::Json& status, const std::string& key) {
  auto t = ctrl::parseRfc3339(status.value(key, ""));
  EXPECT_TRUE(t.isOk()) << key << " is not a timestamp";
  return t.isOk() ? *t : ctrl::WallTime{};
}

// Whether status field `key` is absent or empty.
bool absent(const ctrl::Json& status, const std::string& key) {
  return !status.contains(key) || status[key].is_null() ||
         (status[key].is_string() && status[key].get<std::string>().empty());
}

// The types of events with `reason` about the current ServiceToken `name`
// (not about an earlier object of the same name).
std::vector<std::string> eventTypes(OperatorHarness& h, const std::string& name,
                                    const std::string& reason) {
  std::vector<std::string> out;
  const ctrl::Json token = h.token(name);
  if (token.is_null()) return out;
  const std::string uid = token["metadata"].value("uid", "");
  ctrl::ListOptions o;
  o.fieldSelector = "regarding.name=" + name;
  auto page = h.api().list(ctrl::resources::event(), OperatorHarness::kNamespace, o);
  if (!page.isOk()) return out;
  for (const auto& e : *page->items) {
    if (e.value("reason", "") != reason || !e.contains("regarding")) continue;
    if (e["regarding"].value("uid", "") == uid) out.push_back(e.value("type", ""));
  }
  return out;
}

const ctrl::Json* findCondition(const ctrl::Json& status, const std::string& type) {
  if (!status.contains("conditions")) return nullptr;
  for (const auto& c : status["conditions"]) {
    if (c.value("type", "") == type) return &c;
  }
  return nullptr;
}

// A synchronisation point: sets spec.secret.labels.probe to `value` and waits
// until the operator has copied it onto the Secret. Copying labels happens
// only in a reconcile that decided no token is due, so once it is visible
// the operator has evaluated the current spec at the current fake time.
bool probe(OperatorHarness& h, const std::string& name, const std::string& value) {
  ProcessResult r =
      h.kubectl({"patch", "servicetoken", name, "-n", "default", "--type", "merge", "-p",
                 R"({"spec":{"secret":{"labels":{"probe":")" + value + R"("}}}})"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  return eventually([&] { return label(h.secret(name), "probe") == value; });
}

// Removes a test's objects when it ends, so tests that share one control
// plane (the binary run directly) do not see each other's tokens.
class Cleanup {
 public:
  Cleanup(OperatorHarness& h, std::string name) : h_(h), name_(std::move(name)) {}
  Cleanup(const Cleanup&) = delete;
  Cleanup& operator=(const Cleanup&) = delete;
  ~Cleanup() {
    h_.stop();
    h_.kubectl(
        {"delete", "servicetoken,serviceuser", name_, "-n", "default", "--ignore-not-found"});
    h_.kubectl({"delete", "secret", name_, "-n", "default", "--ignore-not-found"});
  }

 private:
  OperatorHarness& h_;
  std::string name_;
};

TEST(Rotation, AThirtyDayTokenRotatesAtDayTwentyMinusJitterIntoTheSameSecret) {
  OperatorHarness h;
  Cleanup cleanup(h, "rot30");
  h.apply(serviceUser("rot30", "Rotation Thirty"));
  h.apply(tokenManifest("rot30", "Rotation Thirty", "expiration: 30d"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rot30", "Active"));

  const ctrl::Json first = h.token("rot30")["status"];
  const ctrl::Json firstSecret = h.secret("rot30");
  ASSERT_FALSE(firstSecret.is_null());
  const std::string oldValue = dataValue(firstSecret, st::kTokenKey);
  ASSERT_FALSE(oldValue.empty());
  const std::string oldId = first["tokenId"], oldHash = first["tokenHash"];
  const std::string oldExpires = first["expiresAt"];
  const ctrl::WallTime issuedAt = timeOf(first, "issuedAt");
  const ctrl::WallTime renewal = timeOf(first, "renewalTime");
  EXPECT_EQ(issuedAt, h.clock().wallNow());
  EXPECT_EQ(timeOf(first, "expiresAt"), issuedAt + 30 * kDay);
  EXPECT_GE(renewal, issuedAt + 20 * kDay - st::maxJitter(30 * kDay));
  EXPECT_LE(renewal, issuedAt + 20 * kDay);
  EXPECT_FALSE(hasData(firstSecret, st::kPreviousTokenKey));
  EXPECT_TRUE(absent(first, "previousToken"));

  // One second before the renewal time: a reconcile runs and mints nothing.
  // (Write counts are not used in tests that advance time: on a shared plane
  // other tests' tokens may rotate too; the Secret itself is the evidence.)
  h.advance(renewal - h.clock().wallNow() - seconds(1));
  ASSERT_TRUE(probe(h, "rot30", "before"));
  EXPECT_EQ(h.secretAnnotation("rot30", st::kRevisionAnnotation), "1");
  EXPECT_EQ(h.revision("rot30"), 1);
  EXPECT_EQ(dataValue(h.secret("rot30"), st::kTokenKey), oldValue);
  EXPECT_EQ(h.token("rot30")["status"]["tokenId"], oldId);
  EXPECT_TRUE(eventTypes(h, "rot30", "Rotated").empty());

  // Past it: the scheduled wake-up rotates.
  h.advance(seconds(2));
  const ctrl::WallTime rotatedAt = h.clock().wallNow();
  ASSERT_TRUE(eventually([&] { return h.revision("rot30") == 2; }))
      << "revision " << h.revision("rot30");
  ASSERT_TRUE(eventually([&] { return h.phase("rot30") == "Active"; }));

  const ctrl::Json t = h.token("rot30");
  const ctrl::Json& s = t["status"];
  const ctrl::Json secret = h.secret("rot30");
  ASSERT_FALSE(secret.is_null());
  EXPECT_EQ(secret["metadata"]["uid"], firstSecret["metadata"]["uid"]) << "not the same Secret";

  const std::string newValue = dataValue(secret, st::kTokenKey);
  EXPECT_NE(newValue, oldValue);
  EXPECT_EQ(st::tokenHash(newValue), s["tokenHash"]);
  EXPECT_NE(s["tokenId"], oldId);
  EXPECT_EQ(timeOf(s, "issuedAt"), rotatedAt);
  EXPECT_EQ(timeOf(s, "expiresAt"), rotatedAt + 30 * kDay);
  EXPECT_GE(timeOf(s, "renewalTime"), rotatedAt + 20 * kDay - st::maxJitter(30 * kDay));
  EXPECT_EQ(dataValue(secret, st::kPreviousTokenKey), oldValue);
  EXPECT_EQ(dataValue(secret, st::kExpiresAtKey), s["expiresAt"]);

  // The previous token, in the Secret's annotations and in status.
  const std::string retained = ctrl::formatRfc3339(rotatedAt + 7 * kDay);
  const ctrl::Json& ann = secret["metadata"]["annotations"];
  EXPECT_EQ(ann.value(st::kPreviousTokenIdAnnotation, ""), oldId);
  EXPECT_EQ(ann.value(st::kPreviousTokenHashAnnotation, ""), oldHash);
  EXPECT_EQ(ann.value(st::kPreviousExpiresAtAnnotation, ""), oldExpires);
  EXPECT_EQ(ann.value(st::kPreviousRetainedUntilAnnotation, ""), retained);
  EXPECT_EQ(ann.value(st::kRevisionAnnotation, ""), "2");
  ASSERT_TRUE(s.contains("previousToken"));
  EXPECT_EQ(s["previousToken"].value("tokenId", ""), oldId);
  EXPECT_EQ(s["previousToken"].value("tokenHash", ""), oldHash);
  EXPECT_EQ(s["previousToken"].value("expiresAt", ""), oldExpires);
  EXPECT_EQ(s["previousToken"].value("retainedUntil", ""), retained);
  EXPECT_TRUE(eventually([&] {
    std::vector<std::string> types = eventTypes(h, "rot30", "Rotated");
    return types.size() == 1 && types[0] == "Normal";
  })) << ::testing::PrintToString(h.eventReasons("rot30"));

  // Past the grace period: the previous token goes, nothing else is minted.
  h.advance(7 * kDay + seconds(1));
  ASSERT_TRUE(eventually([&] {
    ctrl::Json now = h.token("rot30")["status"];
    return !hasData(h.secret("rot30"), st::kPreviousTokenKey) && absent(now, "previousToken");
  })) << "the previous token was not removed";
  ASSERT_TRUE(probe(h, "rot30", "after"));
  const ctrl::Json after = h.secret("rot30");
  EXPECT_EQ(after["metadata"]["uid"], firstSecret["metadata"]["uid"]);
  EXPECT_EQ(dataValue(after, st::kTokenKey), newValue);
  EXPECT_FALSE(after["metadata"]["annotations"].contains(st::kPreviousTokenIdAnnotation));
  EXPECT_FALSE(after["metadata"]["annotations"].contains(st::kPreviousTokenHashAnnotation));
  EXPECT_FALSE(after["metadata"]["annotations"].contains(st::kPreviousRetainedUntilAnnotation));
  EXPECT_EQ(h.revision("rot30"), 2);
  EXPECT_EQ(h.token("rot30")["status"]["tokenId"], s["tokenId"]);
  EXPECT_EQ(h.phase("rot30"), "Active");
}

TEST(Rotation, EachDistinctRotateAnnotationValueRotatesExactlyOnce) {
  OperatorHarness h;
  Cleanup cleanup(h, "rotmanual");
  h.apply(serviceUser("rotmanual", "Manual Rotation"));
  h.apply(tokenManifest("rotmanual", "Manual Rotation", "expiration: 90d"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rotmanual", "Active"));
  const std::string firstId = h.token("rotmanual")["status"]["tokenId"];
  h.client().reset();

  // A first value: one rotation.
  const std::string v1 = "2026-01-01T00:00:00Z";
  ProcessResult r = h.kubectl({"annotate", "servicetoken", "rotmanual", "-n", "default",
                               std::string(st::kRotateAnnotation) + "=" + v1});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return h.revision("rotmanual") == 2; }))
      << "revision " << h.revision("rotmanual");
  EXPECT_NE(h.token("rotmanual")["status"]["tokenId"], firstId);
  EXPECT_EQ(h.secretAnnotation("rotmanual", st::kPreviousTokenIdAnnotation), firstId);
  EXPECT_EQ(h.client().count("update", "secrets"), 1);
  EXPECT_TRUE(eventually([&] { return !eventTypes(h, "rotmanual", "Rotated").empty(); }));

  // The same value again, by annotate --overwrite: nothing.
  r = h.kubectl({"annotate", "--overwrite", "servicetoken", "rotmanual", "-n", "default",
                 std::string(st::kRotateAnnotation) + "=" + v1});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(probe(h, "rotmanual", "one"));
  EXPECT_EQ(h.secretAnnotation("rotmanual", st::kRevisionAnnotation), "2");
  EXPECT_EQ(h.revision("rotmanual"), 2);
  EXPECT_EQ(h.client().count("update", "secrets"), 1);

  // The same value again, in a manifest applied with kubectl apply (which
  // also changes the label the probe watches): nothing.
  h.apply(tokenManifest("rotmanual", "Manual Rotation", "expiration: 90d",
                        "  secret:\n    labels: {probe: two}\n",
                        "    " + std::string(st::kRotateAnnotation) + ": \"" + v1 + "\"\n"));
  ASSERT_TRUE(eventually([&] { return label(h.secret("rotmanual"), "probe") == "two"; }));
  EXPECT_EQ(h.token("rotmanual")["metadata"]["annotations"][st::kRotateAnnotation], v1);
  EXPECT_EQ(h.secretAnnotation("rotmanual", st::kRevisionAnnotation), "2");
  EXPECT_EQ(h.revision("rotmanual"), 2);
  EXPECT_EQ(h.client().count("update", "secrets"), 1);

  // A new value: exactly one more.
  const std::string v2 = "2026-01-01T00:05:00Z";
  r = h.kubectl({"annotate", "--overwrite", "servicetoken", "rotmanual", "-n", "default",
                 std::string(st::kRotateAnnotation) + "=" + v2});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return h.revision("rotmanual") == 3; }))
      << "revision " << h.revision("rotmanual");
  ASSERT_TRUE(probe(h, "rotmanual", "three"));
  EXPECT_EQ(h.secretAnnotation("rotmanual", st::kRevisionAnnotation), "3");
  EXPECT_EQ(h.revision("rotmanual"), 3);
  EXPECT_EQ(h.client().count("update", "secrets"), 2);
  EXPECT_EQ(h.client().count("create", "secrets"), 0);
}

TEST(Rotation, SpecChangesToTokenFieldsRotateButSecretLabelChangesDoNot) {
  OperatorHarness h;
  Cleanup cleanup(h, "rotspec");
  h.apply(serviceUser("rotspec", "Spec Change"));
  h.apply(tokenManifest("rotspec", "Spec Change", "expiration: 30d"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rotspec", "Active"));
  const std::string firstValue = dataValue(h.secret("rotspec"), st::kTokenKey);
  const std::string firstId = h.token("rotspec")["status"]["tokenId"];
  h.client().reset();

  // The display name is carried by the token: a replacement, old one kept.
  h.apply(tokenManifest("rotspec", "Spec Change Renamed", "expiration: 30d"));
  ASSERT_TRUE(eventually([&] { return h.revision("rotspec") == 2; }))
      << "revision " << h.revision("rotspec");
  ctrl::Json secret = h.secret("rotspec");
  const std::string secondValue = dataValue(secret, st::kTokenKey);
  EXPECT_NE(secondValue, firstValue);
  EXPECT_EQ(dataValue(secret, st::kPreviousTokenKey), firstValue);
  EXPECT_EQ(h.secretAnnotation("rotspec", st::kPreviousTokenIdAnnotation), firstId);
  EXPECT_TRUE(eventually([&] { return !eventTypes(h, "rotspec", "Rotated").empty(); }));

  // So is the expiration: 30d -> 90d.
  h.apply(tokenManifest("rotspec", "Spec Change Renamed", "expiration: 90d"));
  ASSERT_TRUE(eventually([&] { return h.revision("rotspec") == 3; }))
      << "revision " << h.revision("rotspec");
  ASSERT_TRUE(eventually([&] {
    ctrl::Json now = h.token("rotspec")["status"];
    return now.value("expiration", "") == "90d" && now.value("phase", "") == "Active";
  }));
  ctrl::Json status = h.token("rotspec")["status"];
  EXPECT_EQ(timeOf(status, "expiresAt"), h.clock().wallNow() + 90 * kDay);
  secret = h.secret("rotspec");
  EXPECT_EQ(dataValue(secret, st::kPreviousTokenKey), secondValue);
  EXPECT_EQ(st::tokenHash(dataValue(secret, st::kTokenKey)), status["tokenHash"]);
  EXPECT_EQ(h.client().count("update", "secrets"), 2);

  // Only Secret labels: nothing minted, the labels follow.
  const std::string thirdValue = dataValue(secret, st::kTokenKey);
  h.apply(tokenManifest("rotspec", "Spec Change Renamed", "expiration: 90d",
                        "  secret:\n    labels: {team: data, tier: gold}\n"));
  ASSERT_TRUE(eventually([&] {
    ctrl::Json s = h.secret("rotspec");
    return label(s, "team") == "data" && label(s, "tier") == "gold";
  })) << "the added labels did not reach the Secret";
  h.apply(tokenManifest("rotspec", "Spec Change Renamed", "expiration: 90d",
                        "  secret:\n    labels: {team: data}\n"));
  ASSERT_TRUE(eventually([&] { return !hasLabel(h.secret("rotspec"), "tier"); }))
      << "the removed label stayed on the Secret";
  secret = h.secret("rotspec");
  EXPECT_EQ(label(secret, "team"), "data");
  EXPECT_EQ(label(secret, st::kManagedByLabel), st::kManagedByValue);
  EXPECT_EQ(label(secret, st::kTokenLabel), "rotspec");
  EXPECT_EQ(dataValue(secret, st::kTokenKey), thirdValue);
  EXPECT_EQ(h.secretAnnotation("rotspec", st::kRevisionAnnotation), "3");
  EXPECT_EQ(h.revision("rotspec"), 3);
  EXPECT_EQ(h.client().count("update", "secrets"), 2);
  EXPECT_EQ(h.client().count("create", "secrets"), 0);
}

TEST(Rotation, ANeverExpiringTokenHasNoScheduleAndIsNeverReminted) {
  OperatorHarness h;
  Cleanup cleanup(h, "rotnever");
  h.apply(serviceUser("rotnever", "Never Expiring"));
  h.apply(tokenManifest("rotnever", "Never Expiring", "expiration: Never"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rotnever", "Active"));

  const ctrl::Json status = h.token("rotnever")["status"];
  EXPECT_EQ(status.value("expiration", ""), "Never");
  EXPECT_TRUE(absent(status, "renewalTime"));
  EXPECT_TRUE(absent(status, "expiresAt"));
  EXPECT_FALSE(absent(status, "issuedAt"));
  const ctrl::Json secret = h.secret("rotnever");
  EXPECT_EQ(dataValue(secret, st::kExpiresAtKey), "never");
  EXPECT_EQ(h.secretAnnotation("rotnever", st::kExpiresAtAnnotation), "never");
  EXPECT_TRUE(eventually([&] {
    return eventTypes(h, "rotnever", "NeverExpires") == std::vector<std::string>{"Warning"};
  })) << ::testing::PrintToString(h.eventReasons("rotnever"));

  h.advance(400 * kDay);
  ASSERT_TRUE(probe(h, "rotnever", "later"));
  EXPECT_EQ(h.revision("rotnever"), 1);
  EXPECT_EQ(h.phase("rotnever"), "Active");
  EXPECT_EQ(h.token("rotnever")["status"]["tokenId"], status["tokenId"]);
  EXPECT_EQ(dataValue(h.secret("rotnever"), st::kTokenKey), dataValue(secret, st::kTokenKey));
  EXPECT_EQ(eventTypes(h, "rotnever", "NeverExpires").size(), 1u);
}

TEST(Rotation, WithRotationDisabledATokenPastItsExpiryIsExpiredAndItsSecretStays) {
  OperatorHarness h;
  Cleanup cleanup(h, "rotoff");
  h.apply(serviceUser("rotoff", "Rotation Off"));
  h.apply(tokenManifest("rotoff", "Rotation Off", "expiresInDays: 1",
                        "  rotation: {policy: Disabled}\n"));
  h.start();
  ASSERT_TRUE(h.waitPhase("rotoff", "Active"));
  const ctrl::Json status = h.token("rotoff")["status"];
  EXPECT_EQ(status.value("expiration", ""), "1d");
  EXPECT_TRUE(absent(status, "renewalTime"));
  EXPECT_EQ(timeOf(status, "expiresAt"), h.clock().wallNow() + kDay);
  const std::string value = dataValue(h.secret("rotoff"), st::kTokenKey);
  ASSERT_FALSE(value.empty());

  h.advance(kDay + seconds(1));
  ASSERT_TRUE(h.waitPhase("rotoff", "Expired")) << "phase " << h.phase("rotoff");

  const ctrl::Json t = h.token("rotoff");
  const ctrl::Json* ready = findCondition(t["status"], "Ready");
  ASSERT_NE(ready, nullptr);
  EXPECT_EQ(ready->value("status", ""), "False");
  EXPECT_EQ(ready->value("reason", ""), "Expired");
  EXPECT_EQ(t["status"]["tokenId"], status["tokenId"]);
  EXPECT_EQ(t["status"]["revision"], 1);
  EXPECT_TRUE(eventually([&] {
    return eventTypes(h, "rotoff", "Expired") == std::vector<std::string>{"Warning"};
  })) << ::testing::PrintToString(h.eventReasons("rotoff"));

  // The Secret and its token stay; nothing was minted, even by a later reconcile.
  ASSERT_TRUE(probe(h, "rotoff", "expired"));
  EXPECT_EQ(h.phase("rotoff"), "Expired");
  EXPECT_EQ(h.revision("rotoff"), 1);
  const ctrl::Json secret = h.secret("rotoff");
  ASSERT_FALSE(secret.is_null());
  EXPECT_EQ(dataValue(secret, st::kTokenKey), value);
  EXPECT_EQ(st::tokenHash(value), status["tokenHash"]);
}

}  // namespace
}  // namespace sttest
