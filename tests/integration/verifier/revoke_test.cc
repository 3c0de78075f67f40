// Revoke on the real plane: spec.revoked is one-way (CEL), the operator
// reports phase Revoked and empties the Secret, rotation stops, and the
// verifier refuses the token (already from spec.revoked, before the
// operator acts).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;

class RevokeIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.start();
    verifier_.start();
  }
  ProcessResult plugin(const std::vector<std::string>& args) {
    std::vector<std::string> argv{std::string(ST_BINARY_DIR) + "/bin/kubectl-servicetoken",
                                  "--kubeconfig", op_.plane().kubeconfig()};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv);
  }
  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
};

TEST_F(RevokeIntegration, ThePluginRevokesForGoodAndTheVerifierRefuses) {
  op_.apply(serviceUser("rv-plugin", "Rv Plugin"));
  op_.apply(serviceToken("rv-plugin", "rv-plugin", "Rv Plugin Token"));
  const std::string token = activeToken(op_, "rv-plugin");
  const int64_t revision = op_.revision("rv-plugin");
  ASSERT_EQ(verifier_.status(token), 200);

  ProcessResult r = plugin({"revoke", "rv-plugin", "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("cannot be undone"));
  EXPECT_EQ(verifier_.waitStatus(token, 401), 401);
  ASSERT_TRUE(op_.waitPhase("rv-plugin", "Revoked"));
  EXPECT_TRUE(eventually([&] { return secretValue(op_, "rv-plugin").empty(); }))
      << "the token is still in the Secret";

  // One-way: the CRD refuses to undo it.
  r = op_.kubectl({"patch", "servicetoken", "rv-plugin", "-n", "default", "--type", "merge", "-p",
                   R"({"spec":{"revoked":false}})"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.revoked cannot be undone"));
  r = op_.kubectl({"patch", "servicetoken", "rv-plugin", "-n", "default", "--type", "json", "-p",
                   R"([{"op":"remove","path":"/spec/revoked"}])"});
  EXPECT_NE(r.exitCode, 0);

  // Rotation stops: a rotate request mints nothing.
  ASSERT_EQ(op_.kubectl({"annotate", "servicetoken", "rv-plugin", "-n", "default",
                         "servicetoken.dev/rotate=after-revoke"})
                .exitCode,
            0);
  op_.advance(std::chrono::hours(24 * 25));
  EXPECT_FALSE(
      eventually([&] { return op_.revision("rv-plugin") != revision; }, std::chrono::seconds(3)))
      << "a revoked token was minted again";
  EXPECT_EQ(op_.phase("rv-plugin"), "Revoked");
  EXPECT_EQ(verifier_.status(token), 401);
}

TEST_F(RevokeIntegration, TheVerifierRefusesOnSpecRevokedEvenWithoutTheOperator) {
  op_.apply(serviceUser("rv-fast", "Rv Fast"));
  op_.apply(serviceToken("rv-fast", "rv-fast", "Rv Fast Token"));
  const std::string token = activeToken(op_, "rv-fast");
  ASSERT_EQ(verifier_.status(token), 200);
  op_.stop();  // nobody updates status or the Secret now
  ASSERT_EQ(op_.kubectl({"patch", "servicetoken", "rv-fast", "-n", "default", "--type", "merge",
                         "-p", R"({"spec":{"revoked":true}})"})
                .exitCode,
            0);
  EXPECT_EQ(verifier_.waitStatus(token, 401), 401);
  EXPECT_EQ(op_.phase("rv-fast"), "Active") << "the operator was stopped";
}

}  // namespace
}  // namespace sttest
