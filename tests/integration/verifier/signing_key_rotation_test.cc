// servicetoken-verifier across the operator's signing-key rotations, on the
// real plane with the operator's fake clock: it accepts tokens of every key
// the JWKS ConfigMap publishes (the old key's tokens keep working after a
// scheduled rotation), and after `kubectl servicetoken rotate-signing-key
// --retire-old` refuses the withdrawn key's tokens and accepts their
// re-minted replacements.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "token/jwt.h"
#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;

class KeyRotationVerifier : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.options().signingKeyRotationInterval = hours(24 * 10);
    op_.options().signingKeyPublishDelay = minutes(5);
    op_.start();
    verifier_.start();
  }
  std::string activeKid() {
    auto s = op_.api().get(ctrl::resources::secret(), OperatorHarness::kOperatorNamespace,
                           "servicetoken-signing-keys");
    if (!s.isOk()) return "";
    auto v = st::base64Decode((*s)["data"].value("active-kid", ""));
    return v.isOk() ? *v : "";
  }
  // The keys in the key Secret.
  int keys() {
    auto s = op_.api().get(ctrl::resources::secret(), OperatorHarness::kOperatorNamespace,
                           "servicetoken-signing-keys");
    int n = 0;
    if (s.isOk()) {
      for (const auto& [k, v] : (*s)["data"].items()) n += k.ends_with(".pem") ? 1 : 0;
    }
    return n;
  }
  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
};

TEST_F(KeyRotationVerifier, AcceptsEveryPublishedKeyAndRefusesWithdrawnOnesAtOnce) {
  op_.apply(serviceUser("kr-user", "Kr User"));
  op_.apply(serviceToken("kr-before", "kr-user", "Kr Before"));
  const std::string before = activeToken(op_, "kr-before");
  const std::string firstKid = activeKid();
  ASSERT_EQ(st::jwtKeyId(before), firstKid);
  ASSERT_EQ(verifier_.status(before), 200);

  // A scheduled rotation: published, then signing after the publish delay.
  op_.advance(hours(24 * 10) - minutes(5));
  ASSERT_TRUE(eventually([&] { return keys() == 2; })) << "no next key";
  op_.advance(minutes(5));
  ASSERT_TRUE(eventually([&] { return activeKid() != firstKid && !activeKid().empty(); }))
      << "the next key never signed";
  op_.apply(serviceToken("kr-after", "kr-user", "Kr After"));
  const std::string after = activeToken(op_, "kr-after");
  ASSERT_NE(st::jwtKeyId(after), firstKid);
  EXPECT_EQ(verifier_.status(after), 200) << "a token of the new key is refused";
  EXPECT_EQ(verifier_.status(before), 200) << "a token of the retired, still published key is "
                                              "refused";

  // A compromise: every old key is withdrawn; both tokens are refused at
  // once and replaced.
  ProcessResult r =
      runProcess({std::string(ST_BINARY_DIR) + "/bin/kubectl-servicetoken", "--kubeconfig",
                  op_.plane().kubeconfig(), "rotate-signing-key", "--retire-old"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(verifier_.waitStatus(before, 401), 401);
  EXPECT_EQ(verifier_.waitStatus(after, 401), 401);
  const std::string replacedBefore = activeToken(op_, "kr-before", 2);
  const std::string replacedAfter = activeToken(op_, "kr-after", 2);
  EXPECT_EQ(st::jwtKeyId(replacedBefore), activeKid());
  EXPECT_EQ(verifier_.status(replacedBefore), 200);
  EXPECT_EQ(verifier_.status(replacedAfter), 200);
}

}  // namespace
}  // namespace sttest
