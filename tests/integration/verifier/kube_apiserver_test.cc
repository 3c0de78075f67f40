// kube-apiserver authenticating ServiceTokens through the verifier's
// TokenReview webhook (HTTPS, the plane started with
// --authentication-token-webhook-config-file): `kubectl auth whoami` shows
// the userId and groups, RBAC bound to servicetoken:role:Admin grants
// access, the same token after `kubectl servicetoken revoke` gets 401, a SCIM token is not a
// Kubernetes credential.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using ::testing::Contains;
using ::testing::HasSubstr;

class KubeApiserverWebhook : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.start();
    useWebhookEndpoint(verifier_.options());
    verifier_.start();
  }

  // kubectl as the holder of `token`: no kubeconfig user, only the token.
  ProcessResult asToken(const std::string& token, std::vector<std::string> args) {
    std::vector<std::string> argv{ControlPlane::kubectlPath(),
                                  "--kubeconfig",
                                  "/dev/null",
                                  "--server",
                                  op_.plane().server(),
                                  "--certificate-authority",
                                  op_.plane().dir() + "/pki/ca.crt",
                                  "--token",
                                  token};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv);
  }

  // A ServiceUser and a token for it; returns the token.
  std::string userWithToken(const std::string& name, const std::string& displayName,
                            const std::string& userSpec, const std::string& tokenSpec = "") {
    op_.apply(serviceUser(name, displayName) + userSpec);
    op_.apply(serviceToken(name, name, displayName + " Token", tokenSpec));
    return activeToken(op_, name);
  }

  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
};

TEST_F(KubeApiserverWebhook, WhoamiShowsTheUserIdAndTheGroups) {
  const std::string token =
      userWithToken("kw-whoami", "Kw Whoami", "  role: Admin\n  teams: [data, ml]\n");
  ProcessResult r = asToken(token, {"auth", "whoami", "-o", "json"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto review = ctrl::parseJson(r.out);
  ASSERT_TRUE(review.isOk());
  const ctrl::Json& user = (*review)["status"]["userInfo"];
  EXPECT_EQ(user["username"], "kw_whoami@default.service");
  auto groups = user["groups"].get<std::vector<std::string>>();
  EXPECT_THAT(groups, Contains("servicetoken:role:Admin"));
  EXPECT_THAT(groups, Contains("servicetoken:scope:api"));
  EXPECT_THAT(groups, Contains("servicetoken:team:data"));
  EXPECT_THAT(groups, Contains("servicetoken:team:ml"));
  EXPECT_THAT(groups, Contains("system:authenticated"));
  EXPECT_EQ(user["uid"], op_.kubectl({"get", "serviceuser", "kw-whoami", "-n", "default", "-o",
                                      "jsonpath={.metadata.uid}"})
                             .out);
}

TEST_F(KubeApiserverWebhook, RbacOnTheAdminRoleGroupGrantsAccess) {
  // A role of our own: the built-in aggregated ones (view, edit) are empty
  // without kube-controller-manager's aggregation controller.
  ASSERT_EQ(op_.kubectl({"create", "clusterrole", "kw-configmap-reader", "--verb=get,list",
                         "--resource=configmaps"})
                .exitCode,
            0);
  ASSERT_EQ(op_.kubectl({"create", "clusterrolebinding", "kw-admins-read",
                         "--clusterrole=kw-configmap-reader", "--group=servicetoken:role:Admin"})
                .exitCode,
            0);
  const std::string admin = userWithToken("kw-admin", "Kw Admin", "  role: Admin\n");
  const std::string member = userWithToken("kw-member", "Kw Member", "  role: Member\n");
  // The authorizer sees the new binding through its own watch: wait for it.
  ProcessResult allowed;
  EXPECT_TRUE(eventually([&] {
    allowed = asToken(admin, {"get", "configmaps", "-n", "default"});
    return allowed.exitCode == 0;
  })) << allowed.err;
  ProcessResult denied = asToken(member, {"get", "configmaps", "-n", "default"});
  EXPECT_NE(denied.exitCode, 0);
  EXPECT_THAT(denied.err, HasSubstr("forbidden"));
  op_.kubectl({"delete", "clusterrolebinding", "kw-admins-read"});
  op_.kubectl({"delete", "clusterrole", "kw-configmap-reader"});
}

TEST_F(KubeApiserverWebhook, TheSameTokenAfterRevokeGets401) {
  const std::string token = userWithToken("kw-revoke", "Kw Revoke", "");
  ASSERT_EQ(asToken(token, {"auth", "whoami"}).exitCode, 0);
  ProcessResult revoke =
      runProcess({std::string(ST_BINARY_DIR) + "/bin/kubectl-servicetoken", "--kubeconfig",
                  op_.plane().kubeconfig(), "revoke", "kw-revoke", "-n", "default"});
  ASSERT_EQ(revoke.exitCode, 0) << revoke.err;
  ProcessResult r;
  EXPECT_TRUE(eventually(
      [&] {
        r = asToken(token, {"auth", "whoami"});

        return r.exitCode != 0;
      },
      // kube-apiserver keeps a successful authentication for 10 s (its own
      // token cache, not configurable) on top of the webhook's (0 s here).
      std::chrono::seconds(30)));
  EXPECT_THAT(r.err, HasSubstr("Unauthorized"));
}

TEST_F(KubeApiserverWebhook, AScimTokenIsNotAKubernetesCredential) {
  const std::string token = userWithToken("kw-scim", "Kw Scim", "", "  scimAdministration: true\n");
  ProcessResult r = asToken(token, {"auth", "whoami"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("Unauthorized"));
}

TEST_F(KubeApiserverWebhook, TheTokenReviewApiAnswersOverHttps) {
  const std::string token = userWithToken("kw-review", "Kw Review", "");
  ctrl::Json review = {{"apiVersion", "authentication.k8s.io/v1"},
                       {"kind", "TokenReview"},
                       {"spec", {{"token", token}, {"audiences", {kVerifierAudience}}}}};
  HttpResult r = httpRequest(
      verifier_.port(), "POST", "/apis/authentication.k8s.io/v1/tokenreviews",
      {{"Content-Type", "application/json"}}, review.dump(), webhookEndpoint().certFile);
  ASSERT_EQ(r.status, 200);
  auto answer = ctrl::parseJson(r.body);
  ASSERT_TRUE(answer.isOk());
  EXPECT_EQ((*answer)["status"]["authenticated"], true);
  EXPECT_EQ((*answer)["status"]["user"]["username"], "kw_review@default.service");
  EXPECT_EQ((*answer)["status"]["audiences"], ctrl::Json::array({kVerifierAudience}));
  EXPECT_EQ(r.body.find(token), std::string::npos);
}

}  // namespace
}  // namespace sttest
