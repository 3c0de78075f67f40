// The TokenReview API: request validation, the user and groups of an
// authenticated token, spec.audiences, refusals; the token is never echoed.
#include "verifier/token_review.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "verifier_fixture.h"

namespace sttest {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class TokenReview : public VerifierFixture {
 protected:
  TokenReview() : authenticator_(view_, options(), clock_) {}
  st::verifier::AuthenticatorOptions options() {
    st::verifier::AuthenticatorOptions o;
    o.claims = policy_;
    return o;
  }
  static std::string review(const std::string& token, const ctrl::Json& audiences = nullptr) {
    ctrl::Json r = {{"apiVersion", "authentication.k8s.io/v1"},
                    {"kind", "TokenReview"},
                    {"spec", {{"token", token}}}};
    if (!audiences.is_null()) r["spec"]["audiences"] = audiences;
    return r.dump();
  }
  ctrl::Json post(const std::string& body, int wantStatus = 200) {
    auto out = st::verifier::serveTokenReview("POST", body, authenticator_);
    EXPECT_EQ(out.response.status, wantStatus) << out.response.body;
    auto json = ctrl::parseJson(out.response.body);
    EXPECT_TRUE(json.isOk());
    return json.isOk() ? *json : ctrl::Json();
  }
  st::verifier::Authenticator authenticator_;
};

TEST_F(TokenReview, AuthenticatesWithUsernameUidGroupsAndExtra) {
  Minted m = activeToken();
  ctrl::Json r = post(review(m.value));
  EXPECT_EQ(r["apiVersion"], "authentication.k8s.io/v1");
  EXPECT_EQ(r["kind"], "TokenReview");
  const ctrl::Json& s = r["status"];
  EXPECT_EQ(s["authenticated"], true);
  EXPECT_EQ(s["user"]["username"], kUserId);
  EXPECT_EQ(s["user"]["uid"], "uid-pipeline");
  EXPECT_THAT(s["user"]["groups"].get<std::vector<std::string>>(),
              ElementsAre("servicetoken:role:Admin", "servicetoken:scope:api",
                          "servicetoken:team:data", "servicetoken:team:platform"));
  EXPECT_EQ(s["user"]["extra"]["servicetoken.dev/token-id"][0], m.claims.tokenId);
  EXPECT_EQ(s["user"]["extra"]["servicetoken.dev/servicetoken"][0], "default/pipeline");
  EXPECT_FALSE(s.contains("audiences"));
  EXPECT_FALSE(r["spec"].contains("token"));
  EXPECT_EQ(r.dump().find(m.value), std::string::npos);
}

TEST_F(TokenReview, HonoursSpecAudiences) {
  Minted m = activeToken();
  ctrl::Json r = post(review(m.value, {"https://kubernetes.default.svc", kAudience}));
  EXPECT_EQ(r["status"]["authenticated"], true);
  EXPECT_EQ(r["status"]["audiences"], ctrl::Json::array({kAudience}));
  r = post(review(m.value, {"https://kubernetes.default.svc"}));
  EXPECT_EQ(r["status"]["authenticated"], false);
  EXPECT_THAT(r["status"]["error"].get<std::string>(), HasSubstr("wrong_audience"));
}

TEST_F(TokenReview, ScimTokensNeedTheirOwnAudienceListed) {
  Minted m = activeToken(st::TokenScope::kScim);
  EXPECT_EQ(post(review(m.value))["status"]["authenticated"], false);
  ctrl::Json r = post(review(m.value, {st::scimAudience(kAudience)}));
  EXPECT_EQ(r["status"]["authenticated"], true);
  EXPECT_THAT(r["status"]["user"]["groups"].get<std::vector<std::string>>(),
              ::testing::Contains("servicetoken:scope:scim"));
}

TEST_F(TokenReview, RefusedTokensAreNotAuthenticatedWithTheReason) {
  Minted m = activeToken();
  st::verifier::TokenRecord t = view_.token("default/pipeline");
  t.revoked = true;
  view_.put(t);
  ctrl::Json r = post(review(m.value));
  EXPECT_EQ(r["status"]["authenticated"], false);
  EXPECT_EQ(r["status"]["error"], "token rejected: revoked");
  EXPECT_FALSE(r["status"].contains("user"));
  EXPECT_EQ(post(review("a b"))["status"]["error"], "token rejected: malformed_token");
  EXPECT_EQ(post(review(""))["status"]["error"], "token rejected: missing_token");
}

TEST_F(TokenReview, MalformedReviewsAre400AndOtherMethods405) {
  for (
      const std::string& body :
      {std::string("{"), std::string("[]"),
       std::string(R"({"apiVersion":"v1","kind":"TokenReview","spec":{"token":"x"}})"),
       std::string(R"({"apiVersion":"authentication.k8s.io/v1","kind":"Pod","spec":{}})"),
       std::string(R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview"})"),
       std::string(
           R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":1}})"),
       std::string(
           R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenReview","spec":{"token":"x","audiences":[1]}})"),
       std::string(st::verifier::kMaxReviewBytes + 1, ' ')}) {
    ctrl::Json r = post(body, 400);
    EXPECT_EQ(r["kind"], "Status") << body.substr(0, 80);
  }
  auto out = st::verifier::serveTokenReview("GET", "", authenticator_);
  EXPECT_EQ(out.response.status, 405);
}

TEST_F(TokenReview, V1beta1IsAnsweredInKind) {
  Minted m = activeToken();
  ctrl::Json body = ctrl::Json::parse(review(m.value));
  body["apiVersion"] = "authentication.k8s.io/v1beta1";
  ctrl::Json r = post(body.dump());
  EXPECT_EQ(r["apiVersion"], "authentication.k8s.io/v1beta1");
  EXPECT_EQ(r["status"]["authenticated"], true);
}

TEST_F(TokenReview, BeforeTheCachesSyncTheAnswerIs503) {
  Minted m = activeToken();
  view_.isSynced = false;
  post(review(m.value), 503);
}

}  // namespace
}  // namespace sttest
