// The verifier against real ServiceTokens minted by the in-process operator
// on the real control plane, asked directly over HTTP as a proxy would:
// identity headers and role looked up now; refusal of tokens whose
// ServiceToken or ServiceUser is deleted, that were replaced, rotated past
// grace or expired (fake clock); the SCIM scope; probes and metrics.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "token/jwks.h"
#include "token/jwt.h"
#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

class ForwardAuthIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.start();
    verifier_.start();
  }
  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
};

TEST_F(ForwardAuthIntegration, AnActiveTokenGets200WithIdentityAndTheRoleAsItIsNow) {
  op_.apply(serviceUser("fa-identity", "Fa Identity"));
  op_.apply(serviceToken("fa-identity", "fa-identity", "Fa Identity Token"));
  const std::string token = activeToken(op_, "fa-identity");

  HttpResult r = verifier_.authorize(token, "/api/v1/things");
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("x-auth-request-user"), "fa_identity@default.service");
  EXPECT_EQ(r.header("x-auth-request-email"), "fa-identity@example.com");
  EXPECT_EQ(r.header("x-auth-request-role"), "Member");
  EXPECT_EQ(r.header("x-auth-request-scope"), "api");
  EXPECT_EQ(r.header("x-auth-request-token-name"), "Fa Identity Token");
  EXPECT_EQ(r.header("x-auth-request-token-id"),
            op_.token("fa-identity")["status"].value("tokenId", "?"));
  EXPECT_EQ(r.body.find(token), std::string::npos);

  // Role and teams are looked up at verification time.
  ProcessResult patch =
      op_.kubectl({"patch", "serviceuser", "fa-identity", "-n", "default", "--type", "merge", "-p",
                   R"({"spec":{"role":"Manager","teams":["data","ml"]}})"});
  ASSERT_EQ(patch.exitCode, 0) << patch.err;
  EXPECT_TRUE(eventually([&] {
    HttpResult now = verifier_.authorize(token, "/api/v1/things");
    return now.header("x-auth-request-role") == "Manager" &&
           now.header("x-auth-request-teams") == "data,ml";
  }));
}

TEST_F(ForwardAuthIntegration, NoTamperedOrForeignTokenGetsIn) {
  op_.apply(serviceUser("fa-tamper", "Fa Tamper"));
  op_.apply(serviceToken("fa-tamper", "fa-tamper", "Fa Tamper Token"));
  const std::string token = activeToken(op_, "fa-tamper");
  ASSERT_EQ(verifier_.status(token), 200);
  std::string tampered = token;
  tampered[tampered.size() - 4] = tampered[tampered.size() - 4] == 'A' ? 'B' : 'A';
  HttpResult r = verifier_.authorize(tampered, "/api/v1/things");
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.header("www-authenticate"), HasSubstr("error=\"invalid_token\""));
  EXPECT_EQ(verifier_.status(""), 401);
  EXPECT_EQ(verifier_.status("a.b.c"), 401);
}

TEST_F(ForwardAuthIntegration, DeletingTheServiceTokenRefusesItsToken) {
  op_.apply(serviceUser("fa-delete", "Fa Delete"));
  op_.apply(serviceToken("fa-delete", "fa-delete", "Fa Delete Token"));
  const std::string token = activeToken(op_, "fa-delete");
  ASSERT_EQ(verifier_.status(token), 200);
  ASSERT_EQ(op_.kubectl({"delete", "servicetoken", "fa-delete", "-n", "default"}).exitCode, 0);
  EXPECT_EQ(verifier_.waitStatus(token, 401), 401);
}

TEST_F(ForwardAuthIntegration, DeletingTheServiceUserRefusesItsTokens) {
  op_.apply(serviceUser("fa-user", "Fa User"));
  op_.apply(serviceToken("fa-user", "fa-user", "Fa User Token"));
  const std::string token = activeToken(op_, "fa-user");
  ASSERT_EQ(verifier_.status(token), 200);
  ASSERT_EQ(op_.kubectl({"delete", "serviceuser", "fa-user", "-n", "default"}).exitCode, 0);
  EXPECT_EQ(verifier_.waitStatus(token, 401), 401);
  op_.kubectl({"delete", "servicetoken", "fa-user", "-n", "default"});
}

TEST_F(ForwardAuthIntegration, AReplacedTokenIsRefusedAndItsReplacementAccepted) {
  op_.apply(serviceUser("fa-replace", "Fa Replace"));
  op_.apply(serviceToken("fa-replace", "fa-replace", "Fa Replace Token"));
  const std::string first = activeToken(op_, "fa-replace");
  ASSERT_EQ(verifier_.status(first), 200);
  // The Secret is lost: the operator mints a replacement and the old token
  // is treated as revoked (PRODUCT.md §3 rule 6).
  ASSERT_EQ(op_.kubectl({"delete", "secret", "fa-replace", "-n", "default"}).exitCode, 0);
  const std::string second = activeToken(op_, "fa-replace", 2);
  ASSERT_NE(second, first);
  EXPECT_EQ(verifier_.waitStatus(first, 401), 401);
  EXPECT_EQ(verifier_.status(second), 200);
}

TEST_F(ForwardAuthIntegration, TheOldTokenWorksDuringGraceAndNotAfter) {
  op_.apply(serviceUser("fa-rotate", "Fa Rotate"));
  op_.apply(
      serviceToken("fa-rotate", "fa-rotate", "Fa Rotate Token", "  rotation: {gracePeriod: 1h}\n"));
  const std::string old = activeToken(op_, "fa-rotate");
  ProcessResult r = op_.kubectl(
      {"annotate", "servicetoken", "fa-rotate", "-n", "default", "servicetoken.dev/rotate=now-1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string next = activeToken(op_, "fa-rotate", 2);
  ASSERT_NE(next, old);
  EXPECT_EQ(verifier_.status(next), 200);
  EXPECT_EQ(verifier_.status(old), 200);

  op_.advance(hours(1) + minutes(1));
  EXPECT_EQ(verifier_.waitStatus(old, 401), 401);
  EXPECT_EQ(verifier_.status(next), 200);
}

TEST_F(ForwardAuthIntegration, AnExpiredTokenIsRefused) {
  op_.apply(serviceUser("fa-expire", "Fa Expire"));
  op_.apply(serviceToken("fa-expire", "fa-expire", "Fa Expire Token",
                         "  rotation: {policy: Disabled}\n"));
  const std::string token = activeToken(op_, "fa-expire");
  ASSERT_EQ(verifier_.status(token), 200);
  op_.advance(hours(24 * 30) - minutes(1));
  EXPECT_EQ(verifier_.status(token), 200);
  op_.advance(minutes(2));
  EXPECT_EQ(verifier_.status(token), 401);
}

TEST_F(ForwardAuthIntegration, AScimTokenHasItsOwnAudienceAndReachesOnlyScim) {
  op_.apply(serviceUser("fa-scim", "Fa Scim"));
  op_.apply(serviceToken("fa-scim", "fa-scim", "Fa Scim Token", "  scimAdministration: true\n"));
  const std::string token = activeToken(op_, "fa-scim");

  auto cm = op_.api().get(ctrl::resources::configMap(), OperatorHarness::kOperatorNamespace,
                          "servicetoken-jwks");
  ASSERT_TRUE(cm.isOk()) << cm.status().toString();
  auto jwks = st::Jwks::parse((*cm)["data"]["jwks.json"].get<std::string>());
  ASSERT_TRUE(jwks.isOk());
  auto claims = st::verifyJwt(token, *jwks, op_.clock().wallNow());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->audience, "servicetoken.dev/scim");
  EXPECT_EQ(claims->scope, st::TokenScope::kScim);

  HttpResult ok = verifier_.authorize(token, "/scim/v2/Users?filter=x");
  EXPECT_EQ(ok.status, 200);
  EXPECT_EQ(ok.header("x-auth-request-scope"), "scim");
  for (const char* uri :
       {"/api/v1/things", "/scim/v2/../../api/v1/things", "/scim/v2/%2e%2e/x", "/scim/v1/Users"}) {
    HttpResult r = verifier_.authorize(token, uri);
    EXPECT_EQ(r.status, 403) << uri;
    EXPECT_THAT(r.header("www-authenticate"), HasSubstr("insufficient_scope")) << uri;
  }
}

TEST_F(ForwardAuthIntegration, ServesDiscoveryJwksProbesAndMetrics) {
  HttpResult doc = httpRequest(verifier_.port(), "GET", "/.well-known/openid-configuration");
  ASSERT_EQ(doc.status, 200);
  auto json = ctrl::parseJson(doc.body);
  ASSERT_TRUE(json.isOk());
  EXPECT_EQ((*json)["issuer"], "https://servicetoken.dev");
  EXPECT_EQ((*json)["jwks_uri"], "https://servicetoken.dev/openid/v1/jwks");

  HttpResult keys = httpRequest(verifier_.port(), "GET", "/openid/v1/jwks");
  ASSERT_EQ(keys.status, 200);
  EXPECT_EQ(keys.header("content-type"), "application/jwk-set+json");
  auto cm = op_.api().get(ctrl::resources::configMap(), OperatorHarness::kOperatorNamespace,
                          "servicetoken-jwks");
  ASSERT_TRUE(cm.isOk());
  EXPECT_EQ(st::Jwks::parse(keys.body)->toString(),
            st::Jwks::parse((*cm)["data"]["jwks.json"].get<std::string>())->toString());

  EXPECT_EQ(httpRequest(verifier_.verifier().probePort(), "GET", "/readyz").status, 200);
  EXPECT_EQ(httpRequest(verifier_.verifier().probePort(), "GET", "/healthz").status, 200);
  verifier_.status("");
  HttpResult metrics = httpRequest(verifier_.verifier().metricsPort(), "GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_THAT(metrics.body, HasSubstr("servicetoken_verifier_decisions_total{interface=\""
                                      "forward_auth\",reason=\"missing_token\",result=\""
                                      "unauthenticated\"}"));
  EXPECT_THAT(metrics.body, HasSubstr("servicetoken_verifier_decision_duration_seconds_count"));
}

}  // namespace
}  // namespace sttest
