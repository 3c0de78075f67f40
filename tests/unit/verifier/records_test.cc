// The verifier's compact codecs: the fields decisions read, malformed input
// as errors naming the field, the token-id index.
#include "verifier/records.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "token/signing_key.h"

namespace {

using ctrl::Json;
using st::verifier::decodeJwksConfigMap;
using st::verifier::decodeTokenRecord;
using st::verifier::decodeUserRecord;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

Json token() {
  return Json::parse(R"({
    "metadata": {"name": "airflow", "namespace": "team-a", "uid": "u1",
                 "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{}"}},
    "spec": {"displayName": "Airflow", "type": "Service", "serviceUserRef": {"name": "airflow"},
             "revoked": true},
    "status": {"phase": "Active", "serviceUserId": "airflow@service", "tokenId": "t2",
               "tokenHash": "sha256:22", "lastUsedTime": "2026-01-02T03:04:05Z",
               "previousToken": {"tokenId": "t1", "tokenHash": "sha256:11",
                                 "retainedUntil": "2026-01-08T00:00:00Z"},
               "conditions": [{"type": "Ready", "status": "True"}]}
  })");
}

TEST(Records, DecodesTheFieldsOfAServiceToken) {
  auto t = decodeTokenRecord(token());
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->ns, "team-a");
  EXPECT_EQ(t->name, "airflow");
  EXPECT_EQ(t->uid, "u1");
  EXPECT_FALSE(t->deleting);
  EXPECT_EQ(t->type, st::TokenType::kService);
  EXPECT_EQ(t->serviceUserRef, "airflow");
  EXPECT_TRUE(t->revoked);
  EXPECT_EQ(t->phase, "Active");
  EXPECT_EQ(t->serviceUserId, "airflow@service");
  EXPECT_EQ(t->tokenId, "t2");
  EXPECT_EQ(t->tokenHash, "sha256:22");
  ASSERT_TRUE(t->previous);
  EXPECT_EQ(t->previous->tokenId, "t1");
  EXPECT_EQ(t->previous->tokenHash, "sha256:11");
  ASSERT_TRUE(t->previous->retainedUntil);
  EXPECT_EQ(ctrl::formatRfc3339(*t->previous->retainedUntil), "2026-01-08T00:00:00Z");
  ASSERT_TRUE(t->lastUsedTime);
  EXPECT_THAT(st::verifier::tokenIdIndex(*t), ElementsAre("t2", "t1"));
}

TEST(Records, AMalformedRetainedUntilOnlyDisablesThePreviousToken) {
  Json j = token();
  j["status"]["previousToken"]["retainedUntil"] = "soon";
  auto t = decodeTokenRecord(j);
  ASSERT_TRUE(t.isOk());
  ASSERT_TRUE(t->previous);
  EXPECT_FALSE(t->previous->retainedUntil);
}

TEST(Records, ADeletingServiceTokenIsMarked) {
  Json j = token();
  j["metadata"]["deletionTimestamp"] = "2026-01-02T00:00:00Z";
  EXPECT_TRUE(decodeTokenRecord(j)->deleting);
}

TEST(Records, WrongTypesAreErrorsNamingTheField) {
  for (auto [path, value, field] : std::vector<std::tuple<std::string, Json, std::string>>{
           {"/status/tokenHash", 3, "status.tokenHash"},
           {"/spec/revoked", "yes", "spec.revoked"},
           {"/spec/type", "Robot", "spec.type"},
           {"/status/previousToken", "x", "status.previousToken"},
           {"/metadata/name", nullptr, "metadata.name"}}) {
    Json j = token();
    j[Json::json_pointer(path)] = value;
    auto t = decodeTokenRecord(j);
    ASSERT_FALSE(t.isOk()) << path;
    EXPECT_THAT(t.status().message(), HasSubstr(field));
  }
}

TEST(Records, DecodesAServiceUser) {
  auto u = decodeUserRecord(Json::parse(R"({
    "metadata": {"name": "airflow", "namespace": "team-a", "uid": "u9",
                 "creationTimestamp": "2026-01-01T00:00:00Z"},
    "spec": {"displayName": "Airflow", "email": "a@example.com", "role": "Manager",
             "teams": ["x", "y"]},
    "status": {"userId": "airflow@service"}})"));
  ASSERT_TRUE(u.isOk()) << u.status().toString();
  EXPECT_EQ(u->uid, "u9");
  EXPECT_EQ(u->email, "a@example.com");
  EXPECT_EQ(u->role, "Manager");
  EXPECT_THAT(u->teams, ElementsAre("x", "y"));
  EXPECT_EQ(u->userId, "airflow@service");
  EXPECT_FALSE(
      decodeUserRecord(Json::parse(R"({"metadata":{"name":"a"},"spec":{"teams":[1]}})")).isOk());
}

TEST(Records, DecodesTheJwksConfigMapAndRefusesABadOne) {
  auto key = std::move(st::SigningKey::generate(st::KeyAlgorithm::kEd25519)).value();
  const std::string jwks = st::Jwks::fromKeys({key.publicKey()}).value().toString();
  auto r = decodeJwksConfigMap(
      Json{{"metadata", {{"name", "servicetoken-jwks"}}}, {"data", {{"jwks.json", jwks}}}});
  ASSERT_TRUE(r.isOk()) << r.status().toString();
  ASSERT_NE(r->jwks->find(key.kid()), nullptr);
  EXPECT_EQ(r->document, jwks);
  EXPECT_FALSE(decodeJwksConfigMap(Json{{"data", {{"jwks.json", "{"}}}}).isOk());
  EXPECT_FALSE(decodeJwksConfigMap(Json{{"data", Json::object()}}).isOk());
}

}  // namespace
