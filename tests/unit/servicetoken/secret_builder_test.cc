#include "servicetoken/secret_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/base64.h"
#include "api/codec.h"
#include "servicetoken/issued_state.h"

namespace st {
namespace {

using ctrl::Json;
using ::testing::Not;

class SecretBuilderTest : public ::testing::Test {
 protected:
  SecretBuilderTest() {
    token_.meta.name = "airflow";
    token_.meta.namespace_ = "data";
    token_.meta.uid = "uid-1";
    token_.spec.displayName = "Airflow";
    token_.spec.secret.labels = {{"team", "data"}};
    token_.spec.secret.annotations = {{"reloader.stakater.com/match", "true"},
                                      {"kubectl.kubernetes.io/last-applied-configuration", "{}"},
                                      {"argocd.argoproj.io/sync-wave", "1"}};
    minted_.value = SecretString(std::string("header.payload.signature"));
    minted_.tokenId = "jti-1";
    minted_.tokenHash = "sha256:abc";
    minted_.issuedAt = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
    minted_.expiresAt = minted_.issuedAt + std::chrono::hours(24 * 30);
    content_.token = &token_;
    content_.minted = &minted_;
    content_.subject = "airflow@service";
    content_.revision = 3;
    content_.specHash = "h1";
    content_.rotateRequest = "r1";
  }
  ServiceToken token_;
  IssuedToken minted_;
  SecretContent content_;
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

}  // namespace
}  // namespace st
