#include "api/codec.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "api/base64.h"
#include "token/token_hash.h"

namespace st {
namespace {

using ctrl::Json;
using ::testing::HasSubstr;
using ::testing::Not;

Json tokenJson() {
  return Json::parse(R"({
    "apiVersion": "servicetoken.dev/v1alpha1", "kind": "ServiceToken",
    "metadata": {"name": "airflow", "namespace": "data", "uid": "u-1", "resourceVersion": "7",
                 "generation": 3, "annotations": {"servicetoken.dev/rotate": "r1"}},
    "spec": {"displayName": "Airflow Service User", "type": "Service",
             "serviceUserRef": {"name": "airflow"}, "expiresInDays": 45,
             "scimAdministration": true,
             "secret": {"name": "af", "labels": {"team": "data"}, "deletionPolicy": "Retain"},
             "rotation": {"policy": "Disabled", "renewBefore": "5d", "gracePeriod": "1d"}},
    "status": {"phase": "Active", "revision": 2, "tokenId": "j1",
               "previousToken": {"tokenId": "j0", "tokenHash": "sha256:00"},
               "conditions": [{"type": "Ready", "status": "True", "reason": "Issued",
                               "message": "ok", "observedGeneration": 3,
                               "lastTransitionTime": "2026-01-01T00:00:00Z"}]}
  })");
}

TEST(Codec, DecodesEveryServiceTokenField) {
  auto t = decodeServiceToken(tokenJson());
  ASSERT_TRUE(t.isOk()) << t.status().toString();
  EXPECT_EQ(t->meta.name, "airflow");
  EXPECT_EQ(t->meta.generation, 3);
  EXPECT_EQ(t->spec.displayName, "Airflow Service User");
  EXPECT_EQ(t->spec.type, TokenType::kService);
  EXPECT_EQ(t->spec.serviceUserRef, "airflow");
  EXPECT_EQ(t->spec.expiresInDays, 45);
  EXPECT_TRUE(t->spec.scimAdministration);
  EXPECT_EQ(t->spec.secret.labels.at("team"), "data");
  EXPECT_EQ(t->spec.secret.deletionPolicy, "Retain");
  EXPECT_EQ(t->secretName(), "af");
  EXPECT_EQ(t->spec.rotation.renewBefore, "5d");
  EXPECT_EQ(t->status.revision, 2);
  ASSERT_TRUE(t->status.previousToken.has_value());
  EXPECT_EQ(t->status.previousToken->tokenId, "j0");
  ASSERT_EQ(t->status.conditions.size(), 1u);
  EXPECT_EQ(t->status.conditions[0].observedGeneration, 3);
}

TEST(Codec, WrongTypesAreErrorsNamingTheFieldNotTheValue) {
  Json j = tokenJson();
  j["spec"]["displayName"] = 42;
  EXPECT_THAT(decodeServiceToken(j).status().message(), HasSubstr("spec.displayName"));
  j = tokenJson();
  j["spec"]["secret"]["labels"]["team"] = Json::array();
  EXPECT_THAT(decodeServiceToken(j).status().message(), HasSubstr("spec.secret.labels.team"));
  j = tokenJson();
  j["spec"]["type"] = "Robot";
  auto r = decodeServiceToken(j);
  EXPECT_FALSE(r.isOk());
  // Names the field and what it accepts, which a reader can act on.
  EXPECT_THAT(r.status().message(), HasSubstr("spec.type"));
  EXPECT_THAT(r.status().message(), HasSubstr("Service or Personal"));
  // A value of the wrong type is never echoed back (it could be anything a
  // user pasted, a token included).
  j = tokenJson();
  j["spec"]["owner"] = Json::array({"eyJ.pasted.token"});
  r = decodeServiceToken(j);
  ASSERT_FALSE(r.isOk());
  EXPECT_THAT(r.status().message(), HasSubstr("spec.owner"));
  EXPECT_THAT(r.status().message(), Not(HasSubstr("eyJ.pasted.token")));
  EXPECT_FALSE(decodeServiceToken(Json::array()).isOk());
}

// The status member of the merge patch statusPatch() writes.
template <typename Status>
Json patchedStatus(const Status& status) {
  auto patch = statusPatch(status);
  EXPECT_TRUE(patch.isOk()) << patch.status().toString();
  if (!patch.isOk()) return Json();
  Json parsed = Json::parse(patch->text);
  EXPECT_EQ(parsed.size(), 1u) << "only status: " << patch->text;
  return parsed["status"];
}

TEST(Codec, StatusRoundTripsAndEmptyFieldsBecomeNullForMergePatch) {
  auto t = decodeServiceToken(tokenJson());
  ASSERT_TRUE(t.isOk());
  t->status.lastFailureReason = "Invalid";
  t->status.lastFailureMessage = "Secret \"af\" is invalid";
  t->status.automaticMints = {"2026-01-01T00:00:00Z", "2026-01-01T00:10:00Z"};
  Json encoded = patchedStatus(t->status);
  EXPECT_EQ(encoded["automaticMints"].size(), 2u);
  EXPECT_TRUE(encoded["expiresAt"].is_null());
  EXPECT_TRUE(encoded["failedAttempts"].is_null());
  EXPECT_EQ(encoded["lastFailureMessage"], "Secret \"af\" is invalid");
  Json object = tokenJson();
  object["status"] = encoded;
  auto again = decodeServiceToken(object);
  ASSERT_TRUE(again.isOk());
  EXPECT_EQ(again->status, t->status);

  t->status.previousToken.reset();
  EXPECT_TRUE(patchedStatus(t->status)["previousToken"].is_null());
}

// Every field of both statuses, set and empty, written as the API reads it:
// what decodes from the patch is what was encoded.
TEST(Codec, StatusPatchCarriesEveryField) {
  ServiceTokenStatus s;
  s.phase = "Active";
  s.observedGeneration = 7;
  s.serviceUserId = "u-1";
  s.secretName = "s";
  s.expiration = "90d";
  s.tokenId = "id";
  s.tokenHash = "sha256:00";
  s.issuedAt = "2026-01-01T00:00:00Z";
  s.expiresAt = "2026-04-01T00:00:00Z";
  s.renewalTime = "2026-03-01T00:00:00Z";
  s.revision = 3;
  s.rotateRequest = "r1";
  s.lastFailureTime = "2026-01-01T00:00:01Z";
  s.failedAttempts = 2;
  s.lastFailureReason = "Invalid";
  s.lastFailureMessage = "tab\tnewline\n quote\" backslash\\ control\x01 ünïcödé";
  s.automaticMints = {"2026-01-01T00:00:00Z"};
  s.previousToken = PreviousToken{"old", "sha256:11", "2026-02-01T00:00:00Z", ""};
  s.conditions = {{"Ready", "True", "Minted", "msg \"q\"", 7, "2026-01-01T00:00:00Z"},
                  {"Issued", "False", "Failed", "", 6, "2026-01-01T00:00:02Z"}};
  Json object = tokenJson();
  object["status"] = patchedStatus(s);
  EXPECT_TRUE(object["status"]["previousToken"]["retainedUntil"].is_null());
  auto decoded = decodeServiceToken(object);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_EQ(decoded->status, s);

  ServiceUserStatus u;
  u.userId = "user-1";
  u.observedGeneration = 4;
  u.conditions = {{"Ready", "True", "Ok", "fine", 4, "2026-01-01T00:00:00Z"}};
  Json user = {{"metadata", {{"name", "x"}}}, {"status", patchedStatus(u)}};
  auto decodedUser = decodeServiceUser(user);
  ASSERT_TRUE(decodedUser.isOk()) << decodedUser.status().toString();
  EXPECT_EQ(decodedUser->status, u);
  EXPECT_TRUE(patchedStatus(ServiceUserStatus{})["userId"].is_null());
}

TEST(Codec, StatusPatchRefusesTextThatIsNotUtf8) {
  ServiceTokenStatus s;
  s.lastFailureMessage = "bad \xff byte";
  auto patch = statusPatch(s);
  ASSERT_FALSE(patch.isOk());
  EXPECT_EQ(patch.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(patch.status().message(), Not(HasSubstr("bad")));
}

TEST(Codec, TokenSecretKeepsOnlyHashesOfTheValues) {
  const std::string value = "eyJhbGciOiJFZERTQSJ9.payload.signature";
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", kSecretType},
                 {"metadata", {{"name", "af"}, {"namespace", "data"}}},
                 {"data",
                  {{"token", base64Encode(value)},
                   {"token.previous", base64Encode("old")},
                   {"expires-at", base64Encode("never")}}}};
  auto s = decodeTokenSecret(secret);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->tokenHash, tokenHash(value));
  EXPECT_EQ(s->previousTokenHash, tokenHash("old"));
  EXPECT_TRUE(s->hasExpiresAt);

  secret["data"]["token"] = "%%%not base64%%";
  auto bad = decodeTokenSecret(secret);
  ASSERT_FALSE(bad.isOk());
  EXPECT_THAT(bad.status().message(), HasSubstr("data.token"));
  EXPECT_THAT(bad.status().message(), Not(HasSubstr("%%%")));
}

TEST(Codec, TokenSecretKnowsWhichKeySignedEachToken) {
  // Headers only matter here: {"alg":"EdDSA","kid":"k-new"} and {..."kid":"k-old"}.
  const std::string current = "eyJhbGciOiJFZERTQSIsImtpZCI6ImstbmV3In0.e30.sig";
  const std::string previous = "eyJhbGciOiJFZERTQSIsImtpZCI6Imstb2xkIn0.e30.sig";
  Json secret = {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata", {{"name", "af"}, {"namespace", "data"}}},
      {"data", {{"token", base64Encode(current)}, {"token.previous", base64Encode(previous)}}}};
  auto s = decodeTokenSecret(secret);
  ASSERT_TRUE(s.isOk()) << s.status().toString();
  EXPECT_EQ(s->kid, "k-new");
  EXPECT_EQ(s->previousKid, "k-old");

  secret["data"]["token"] = base64Encode("not a jwt");
  secret["data"].erase("token.previous");
  auto plain = decodeTokenSecret(secret);
  ASSERT_TRUE(plain.isOk());
  EXPECT_EQ(plain->kid, "");
  EXPECT_EQ(plain->previousKid, "");
}

TEST(Base64, RoundTripsAllPaddingLengths) {
  for (const std::string& s :
       std::vector<std::string>{"", "a", "ab", "abc", "abcd", std::string("\0\xff\x10", 3)}) {
    auto d = base64Decode(base64Encode(s));
    ASSERT_TRUE(d.isOk());
    EXPECT_EQ(*d, s);
  }
  EXPECT_EQ(base64Encode("abc"), "YWJj");
  EXPECT_FALSE(base64Decode("abc").isOk());
  EXPECT_FALSE(base64Decode("a$==").isOk());
}

}  // namespace
}  // namespace st
