// The ServiceToken lifecycle against the real API server: first mint, the
// JWT it holds, and idempotence across restarts.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>

#include "api/base64.h"
#include "operator_harness.h"
#include "token/jwks.h"
#include "token/jwt.h"
#include "token/token_hash.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;

TEST(Lifecycle, AFreshServiceTokenBecomesActiveWithItsSecretAndAVerifiableJwt) {
  OperatorHarness h;
  h.apply(serviceUser("pipeline", "Pipeline Automation"));
  h.apply(
      serviceToken("pipeline", "pipeline", "Pipeline Automation", "  scimAdministration: true\n"));
  h.start();
  ASSERT_TRUE(h.waitPhase("pipeline", "Active"));

  ctrl::Json t = h.token("pipeline");
  const ctrl::Json& s = t["status"];
  EXPECT_EQ(s["serviceUserId"], "pipeline_automation@default.service");
  EXPECT_EQ(s["secretName"], "pipeline");
  EXPECT_EQ(s["expiration"], "30d");
  EXPECT_EQ(s["revision"], 1);
  EXPECT_EQ(s["observedGeneration"], t["metadata"]["generation"]);
  EXPECT_FALSE(s.value("tokenId", "").empty());
  EXPECT_THAT(s.value("tokenHash", ""), ::testing::StartsWith("sha256:"));
  EXPECT_FALSE(s.value("issuedAt", "").empty());
  EXPECT_FALSE(s.value("expiresAt", "").empty());
  EXPECT_FALSE(s.value("renewalTime", "").empty());
  for (const char* type : {"Ready", "Issuing", "Stalled"}) {
    bool found = false;
    for (const auto& c : s["conditions"]) {
      if (c["type"] == type) {
        found = true;
        EXPECT_EQ(c["observedGeneration"], t["metadata"]["generation"]) << type;
        EXPECT_EQ(c["status"], std::string(type) == "Ready" ? "True" : "False") << type;
      }
    }
    EXPECT_TRUE(found) << type;
  }

  // The Secret's shape (PRODUCT.md §5).
  ctrl::Json secret = h.secret("pipeline");
  ASSERT_FALSE(secret.is_null());
  EXPECT_EQ(secret["type"], "servicetoken.dev/token");
  EXPECT_EQ(secret["metadata"]["labels"]["app.kubernetes.io/managed-by"], "servicetoken-operator");
  EXPECT_EQ(secret["metadata"]["labels"]["servicetoken.dev/servicetoken"], "pipeline");
  EXPECT_EQ(secret["metadata"]["annotations"]["servicetoken.dev/token-id"], s["tokenId"]);
  EXPECT_EQ(secret["metadata"]["annotations"]["servicetoken.dev/token-hash"], s["tokenHash"]);
  EXPECT_EQ(secret["metadata"]["annotations"]["servicetoken.dev/revision"], "1");
  ASSERT_EQ(secret["metadata"]["ownerReferences"].size(), 1u);
  EXPECT_EQ(secret["metadata"]["ownerReferences"][0]["uid"], t["metadata"]["uid"]);
  auto value = st::base64Decode(secret["data"]["token"].get<std::string>());
  ASSERT_TRUE(value.isOk());
  EXPECT_EQ(st::tokenHash(*value), s["tokenHash"]);
  EXPECT_EQ(*st::base64Decode(secret["data"]["service-user"].get<std::string>()),
            "pipeline_automation@default.service");
  EXPECT_EQ(*st::base64Decode(secret["data"]["expires-at"].get<std::string>()), s["expiresAt"]);

  // The JWT verifies with the published JWKS and carries the right claims.
  auto cm = h.api().get(ctrl::resources::configMap(), OperatorHarness::kOperatorNamespace,
                        "servicetoken-jwks");
  ASSERT_TRUE(cm.isOk()) << cm.status().toString();
  auto jwks = st::Jwks::parse((*cm)["data"]["jwks.json"].get<std::string>());
  ASSERT_TRUE(jwks.isOk()) << jwks.status().toString();
  auto claims = st::verifyJwt(*value, *jwks, h.clock().wallNow());
  ASSERT_TRUE(claims.isOk()) << claims.status().toString();
  EXPECT_EQ(claims->subject, "pipeline_automation@default.service");
  EXPECT_EQ(claims->name, "Pipeline Automation");
  ASSERT_TRUE(claims->expiresAt.has_value());
  EXPECT_EQ(*claims->expiresAt - claims->issuedAt, std::chrono::hours(24 * 30));
  EXPECT_EQ(claims->scope, st::TokenScope::kScim);
  EXPECT_EQ(claims->use, st::TokenUse::kService);
  EXPECT_EQ(claims->tokenId, s["tokenId"]);
  ASSERT_TRUE(claims->email.has_value());
  EXPECT_EQ(*claims->email, "pipeline@example.com");

  // The first mint costs exactly one Secret create and one status write.
  EXPECT_EQ(h.client().count("create", "secrets"), 1 + 1);  // + the signing-key Secret
  EXPECT_EQ(h.client().count("update", "secrets"), 0);
  // Events are written asynchronously (never on the reconcile path).
  EXPECT_TRUE(eventually([&] {
    auto reasons = h.eventReasons("pipeline");
    return std::find(reasons.begin(), reasons.end(), "Minted") != reasons.end();
  }));
}

TEST(Lifecycle, RestartingTheOperatorMintsNothingAndWritesNothing) {
  OperatorHarness h;
  h.apply(serviceUser("restart", "Restart User"));
  h.apply(serviceToken("restart", "restart", "Restart Token"));
  h.start();
  ASSERT_TRUE(h.waitPhase("restart", "Active"));
  const std::string tokenId = h.token("restart")["status"]["tokenId"];
  // Let the first instance settle: its own writes come back through the watch.
  ASSERT_TRUE(eventually([&] {
    return h.op().tokens().get("default/restart") &&
           h.op().tokens().get("default/restart")->status.phase == "Active";
  }));
  h.stop();

  for (int i = 0; i < 2; ++i) {
    h.client().reset();
    const double before = OperatorHarness::reconciles("servicetoken");
    h.start();
    // The new instance reconciles the token (initial list) ...
    ASSERT_TRUE(
        eventually([&] { return OperatorHarness::reconciles("servicetoken") >= before + 1; }));
    // ... and again after the same manifest is re-applied with a new
    // annotation-free no-op (kubectl apply of identical content is a no-op
    // write; an edit of an unrelated label is a real update event).
    h.apply(serviceToken("restart", "restart", "Restart Token"));
    ProcessResult label = h.kubectl({"label", "servicetoken", "restart", "-n", "default",
                                     "touched=" + std::to_string(i), "--overwrite"});
    ASSERT_EQ(label.exitCode, 0) << label.err;
    ASSERT_TRUE(
        eventually([&] { return OperatorHarness::reconciles("servicetoken") >= before + 2; }));
    h.stop();
    EXPECT_EQ(h.client().writesExcludingEvents(), 0) << "restart " << i << " wrote something";
    EXPECT_EQ(h.token("restart")["status"]["tokenId"], tokenId);
    EXPECT_EQ(h.revision("restart"), 1);
  }
}

TEST(Lifecycle, ACrashBetweenTheSecretWriteAndTheStatusWriteIsAdoptedNotReminted) {
  OperatorHarness h;
  h.apply(serviceUser("crash", "Crash User"));
  // Every status write of ServiceTokens fails, as if the process died right
  // after writing the Secret.
  h.client().setFault(
      [](const std::string& verb, const std::string& plural, const std::string& sub) {
        if (verb == "patch" && plural == "servicetokens" && sub == "status") {
          return ctrl::Status(ctrl::Code::kUnavailable, "injected crash");
        }
        return ctrl::Status::ok();
      });
  h.apply(serviceToken("crash", "crash", "Crash Token"));
  h.start();
  ASSERT_TRUE(eventually(
      [&] { return !h.secretAnnotation("crash", "servicetoken.dev/token-id").empty(); }));
  h.stop();
  const std::string minted = h.secretAnnotation("crash", "servicetoken.dev/token-id");
  EXPECT_EQ(h.phase("crash"), "");  // status never written

  h.client().setFault(nullptr);
  h.client().reset();
  h.start();
  ASSERT_TRUE(h.waitPhase("crash", "Active"));
  EXPECT_EQ(h.token("crash")["status"]["tokenId"], minted);
  EXPECT_EQ(h.revision("crash"), 1);
  EXPECT_EQ(h.secretAnnotation("crash", "servicetoken.dev/token-id"), minted);
  EXPECT_EQ(h.client().count("create", "secrets"), 0);
  EXPECT_EQ(h.client().count("update", "secrets"), 0);
}

}  // namespace
}  // namespace sttest
