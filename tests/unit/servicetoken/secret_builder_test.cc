#include "servicetoken/secret_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "api/base64.h"
#include "api/codec.h"
#include "servicetoken/issued_state.h"

namespace st {
namespace {

using ctrl::Json;
using ::testing::Not;

// A ServiceToken, a minted token and the Secret content for them.
struct Minting {
  Minting() {
    token.meta.name = "airflow";
    token.meta.namespace_ = "data";
    token.meta.uid = "uid-1";
    token.spec.displayName = "Airflow";
    token.spec.secret.labels = {{"team", "data"}};
    token.spec.secret.annotations = {{"reloader.stakater.com/match", "true"},
                                     {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                                     {"argocd.argoproj.io/sync-wave", "1"}};
    minted.value = SecretString(std::string("header.payload.signature"));
    minted.tokenId = "jti-1";
    minted.tokenHash = "sha256:abc";
    minted.issuedAt = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
    minted.expiresAt = minted.issuedAt + std::chrono::hours(24 * 30);
    content.token = &token;
    content.minted = &minted;
    content.subject = "airflow@service";
    content.revision = 3;
    content.specHash = "h1";
    content.rotateRequest = "r1";
  }
  Minting(const Minting&) = delete;
  Minting& operator=(const Minting&) = delete;
  ServiceToken token;
  IssuedToken minted;
  SecretContent content;
};

class SecretBuilderTest : public ::testing::Test {
 protected:
  Minting minting_;
  ServiceToken& token_ = minting_.token;
  IssuedToken& minted_ = minting_.minted;
  SecretContent& content_ = minting_.content;
};

TEST_F(SecretBuilderTest, BuildsTheDocumentedShape) {
  Json s = buildTokenSecret(content_, nullptr);
  EXPECT_EQ(s["type"], "servicetoken.dev/token");
  EXPECT_EQ(s["metadata"]["name"], "airflow");
  EXPECT_EQ(s["metadata"]["namespace"], "data");
  const Json& labels = s["metadata"]["labels"];
  EXPECT_EQ(labels["app.kubernetes.io/managed-by"], "servicetoken-operator");
  EXPECT_EQ(labels["servicetoken.dev/servicetoken"], "airflow");
  EXPECT_EQ(labels["team"], "data");
  const Json& a = s["metadata"]["annotations"];
  EXPECT_EQ(a["servicetoken.dev/token-id"], "jti-1");
  EXPECT_EQ(a["servicetoken.dev/token-hash"], "sha256:abc");
  EXPECT_EQ(a["servicetoken.dev/revision"], "3");
  EXPECT_EQ(a["servicetoken.dev/expires-at"], "2026-01-31T00:00:00Z");
  EXPECT_EQ(a["reloader.stakater.com/match"], "true");
  EXPECT_FALSE(a.contains("kubectl.kubernetes.io/last-applied-configuration"));
  EXPECT_FALSE(a.contains("argocd.argoproj.io/sync-wave"));
  EXPECT_EQ(*base64Decode(s["data"]["token"].get<std::string>()), "header.payload.signature");
  EXPECT_EQ(*base64Decode(s["data"]["expires-at"].get<std::string>()), "2026-01-31T00:00:00Z");
  EXPECT_EQ(*base64Decode(s["data"]["service-user"].get<std::string>()), "airflow@service");
  EXPECT_FALSE(s["data"].contains("token.previous"));
  ASSERT_EQ(s["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(s["metadata"]["ownerReferences"][0]["uid"], "uid-1");
  EXPECT_EQ(s["metadata"]["ownerReferences"][0]["controller"], true);
}

TEST_F(SecretBuilderTest, NeverAndRetainHaveNoExpiryAndNoOwner) {
  minted_.expiresAt.reset();
  token_.spec.secret.deletionPolicy = "Retain";
  Json s = buildTokenSecret(content_, nullptr);
  EXPECT_EQ(*base64Decode(s["data"]["expires-at"].get<std::string>()), "never");
  EXPECT_FALSE(s["metadata"].contains("ownerReferences"));
}

TEST_F(SecretBuilderTest, AnUpdateKeepsForeignMetadataAndTheResourceVersionAndAddsThePrevious) {
  Json existing = buildTokenSecret(content_, nullptr);
  existing["metadata"]["resourceVersion"] = "41";
  existing["metadata"]["labels"]["added-by-someone"] = "x";
  existing["metadata"]["ownerReferences"].push_back({{"uid", "other"}, {"kind", "Thing"}});
  token_.spec.secret.labels = {{"tier", "gold"}};  // "team" removed from the spec
  content_.previous =
      PreviousValue{SecretString(std::string("old.value.sig")),
                    {"jti-0", "sha256:old", "2026-01-31T00:00:00Z", "2026-01-08T00:00:00Z"}};
  Json s = buildTokenSecret(content_, &existing);
  EXPECT_EQ(s["metadata"]["resourceVersion"], "41");
  EXPECT_EQ(s["metadata"]["labels"]["added-by-someone"], "x");
  EXPECT_EQ(s["metadata"]["labels"]["tier"], "gold");
  EXPECT_FALSE(s["metadata"]["labels"].contains("team"));
  EXPECT_EQ(s["metadata"]["ownerReferences"].size(), 2u);
  EXPECT_EQ(*base64Decode(s["data"]["token.previous"].get<std::string>()), "old.value.sig");
  EXPECT_EQ(s["metadata"]["annotations"]["servicetoken.dev/previous-token-id"], "jti-0");
  EXPECT_EQ(s["metadata"]["annotations"]["servicetoken.dev/previous-retained-until"],
            "2026-01-08T00:00:00Z");
}

TEST_F(SecretBuilderTest, ItsOwnOutputIsOwnedAndReadsBackAsTheIssuedState) {
  Json s = buildTokenSecret(content_, nullptr);
  s["metadata"]["uid"] = "secret-uid";
  auto decoded = decodeTokenSecret(s);
  ASSERT_TRUE(decoded.isOk());
  EXPECT_TRUE(ownedBy(*decoded, token_));
  IssuedState state = readIssuedState(*decoded);
  EXPECT_EQ(state.tokenId, "jti-1");
  EXPECT_EQ(state.revision, 3);
  EXPECT_EQ(state.specHash, "h1");
  EXPECT_EQ(state.rotateRequest, "r1");
  EXPECT_FALSE(state.valueMatches);  // the fixture's hash is not the value's
  ServiceToken other = token_;
  other.meta.name = "someone-else";
  EXPECT_FALSE(ownedBy(*decoded, other));
  other = token_;
  other.meta.uid = "uid-2";  // same name, recreated object: the controller ref names the old one
  EXPECT_FALSE(ownedBy(*decoded, other));
}

TEST_F(SecretBuilderTest, MaintenancePatchIsEmptyWhenInLineAndFixesDrift) {
  Json s = buildTokenSecret(content_, nullptr);
  s["metadata"]["resourceVersion"] = "7";
  auto secret = decodeTokenSecret(s);
  ASSERT_TRUE(secret.isOk());
  EXPECT_FALSE(secretMaintenancePatch(token_, *secret, false).has_value());

  token_.spec.secret.labels = {{"tier", "gold"}};
  token_.spec.secret.deletionPolicy = "Retain";
  auto patch = secretMaintenancePatch(token_, *secret, true);
  ASSERT_TRUE(patch.has_value());
  const Json& m = (*patch)["metadata"];
  EXPECT_EQ(m["resourceVersion"], "7");
  EXPECT_TRUE(m["labels"]["team"].is_null());
  EXPECT_EQ(m["labels"]["tier"], "gold");
  EXPECT_TRUE(m["ownerReferences"].is_null());
  EXPECT_TRUE((*patch)["data"]["token.previous"].is_null());
  EXPECT_TRUE(m["annotations"]["servicetoken.dev/previous-token-id"].is_null());
}

// The contents the two equivalence tests below run through: the fixture's,
// and each way a Secret's content varies.
std::vector<
    std::pair<std::string, std::function<void(ServiceToken&, IssuedToken&, SecretContent&)>>>
variations() {
  return {
      {"the fixture", [](ServiceToken&, IssuedToken&, SecretContent&) {}},
      {"never expires, Retain",
       [](ServiceToken& t, IssuedToken& m, SecretContent&) {
         m.expiresAt.reset();
         t.spec.secret.deletionPolicy = "Retain";
       }},
      {"a ServiceUser uid and text to escape",
       [](ServiceToken& t, IssuedToken&, SecretContent& c) {
         c.serviceUserUid = "su-uid";
         t.spec.displayName = "Quote \" backslash \\ tab \t ünï 世界";
         t.spec.secret.labels = {{"team", "data"},
                                 {"app.kubernetes.io/managed-by", "me"},
                                 {"servicetoken.dev/servicetoken", "forged"}};
         t.spec.secret.annotations = {{"note", "line\nbreak \"q\""},
                                      {"servicetoken.dev/token-id", "forged"}};
       }},
      {"a previous token",
       [](ServiceToken&, IssuedToken&, SecretContent& c) {
         c.previous = PreviousValue{
             SecretString(std::string("eyJhbGciOiJFZERTQSIsImtpZCI6ImtleS0wIiwidHlwIjoiSldUIn0."
                                      "e30.old")),
             {"jti-0", "sha256:old", "", "2026-01-08T00:00:00Z"}};
       }},
      {"no spec labels or annotations",
       [](ServiceToken& t, IssuedToken&, SecretContent&) {
         t.spec.secret.labels.clear();
         t.spec.secret.annotations.clear();
       }},
  };
}

// The text the issuer creates a Secret with is the document the builder
// builds for a new Secret, for every way the content varies.
TEST(SecretBuilderVariations, TheTextToCreateIsTheDocumentBuilt) {
  for (const auto& [name, vary] : variations()) {
    Minting fresh;
    vary(fresh.token, fresh.minted, fresh.content);
    auto text = newTokenSecret(fresh.content);
    ASSERT_TRUE(text.isOk()) << name << ": " << text.status().toString();
    EXPECT_EQ(Json::parse(text->text), buildTokenSecret(fresh.content, nullptr)) << name;
  }
}

// The view of a just-created Secret is what the cache decodes from it once
// the API has stored it, for every way the content varies.
TEST(SecretBuilderVariations, TheWrittenViewIsWhatTheCacheDecodes) {
  for (const auto& [name, vary] : variations()) {
    Minting fresh;
    // A token whose header names its signing key, so the kid is read.
    fresh.minted.value = SecretString(
        std::string("eyJhbGciOiJFZERTQSIsImtpZCI6ImtleS0xIiwidHlwIjoiSldUIn0.e30.sig"));
    vary(fresh.token, fresh.minted, fresh.content);
    Json stored = buildTokenSecret(fresh.content, nullptr);
    Json& meta = stored["metadata"];
    meta["uid"] = "secret-uid";
    meta["resourceVersion"] = "12";
    meta["creationTimestamp"] = "2026-01-01T00:00:00Z";
    meta["annotations"]["kubectl.kubernetes.io/last-applied-configuration"] = "{}";
    auto decoded = decodeTokenSecret(stored);
    ASSERT_TRUE(decoded.isOk()) << name;
    auto answered = decodeMetadata(meta);
    ASSERT_TRUE(answered.isOk()) << name;
    const TokenSecret view = writtenTokenSecret(fresh.content, std::move(answered).value());
    EXPECT_EQ(view, *decoded) << name;
    EXPECT_EQ(view.kid, "key-1") << name;
    EXPECT_FALSE(
        view.meta.annotations.contains("kubectl.kubernetes.io/last-applied-configuration"));
  }
}

}  // namespace
}  // namespace st
