// spec.revoked: the reconciler removes the token (and token.previous) from
// the Secret, reports phase Revoked, and never mints again, whatever else
// asks for a new token (rotation due, rotate annotation, Secret deleted).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "reconciler_harness.h"

namespace sttest {
namespace {

using ctrl::Json;
using std::chrono::hours;

class Revoke : public ::testing::Test {
 protected:
  Revoke() { h_.putUser("airflow", "Airflow", "airflow@default.service"); }

  void reconcileAndSync(const std::string& name) {
    h_.sync();
    ASSERT_TRUE(h_.reconcile(name).isOk());
    h_.sync();
  }
  int mints() { return h_.api().count("create", "secrets") + h_.api().count("update", "secrets"); }
  ReconcilerHarness h_;
};

TEST_F(Revoke, RemovesTheTokenFromTheSecretAndReportsRevoked) {
  h_.putToken("airflow", "airflow", "Airflow", Json{{"rotation", {{"gracePeriod", "7d"}}}});
  reconcileAndSync("airflow");
  // A rotation first, so the Secret also holds token.previous.
  Json t = h_.api().object(st::serviceTokenResource(), ReconcilerHarness::kNs, "airflow");
  t["metadata"]["annotations"] = {{st::kRotateAnnotation, "now"}};
  h_.api().put(st::serviceTokenResource(), t);
  reconcileAndSync("airflow");
  ASSERT_TRUE(h_.secret("airflow")["data"].contains(st::kPreviousTokenKey));
  const st::ServiceToken before = h_.token("airflow");

  h_.editSpec("airflow", {{"revoked", true}});
  reconcileAndSync("airflow");
  const Json secret = h_.secret("airflow");
  EXPECT_FALSE(secret["data"].contains(st::kTokenKey));
  EXPECT_FALSE(secret["data"].contains(st::kPreviousTokenKey));
  EXPECT_TRUE(secret["data"].contains(st::kServiceUserKey)) << "the Secret itself stays";
  EXPECT_EQ(secret["metadata"]["annotations"][st::kTokenIdAnnotation], before.status.tokenId);

  const st::ServiceToken after = h_.token("airflow");
  EXPECT_EQ(after.status.phase, "Revoked");
  std::string reason;
  EXPECT_EQ(h_.condition("airflow", "Ready", &reason), "False");
  EXPECT_EQ(reason, "Revoked");
  EXPECT_EQ(h_.condition("airflow", "Stalled"), "False");
  EXPECT_EQ(after.status.tokenId, before.status.tokenId) << "the record of what was revoked";
  EXPECT_EQ(after.status.tokenHash, before.status.tokenHash);
  EXPECT_TRUE(after.status.renewalTime.empty());
  EXPECT_FALSE(after.status.previousToken.has_value());
  EXPECT_THAT(h_.events().reasons("airflow"), ::testing::Contains("Revoked"));
}

TEST_F(Revoke, NothingMintsARevokedTokenAgain) {
  h_.putToken("airflow", "airflow", "Airflow");
  reconcileAndSync("airflow");
  h_.editSpec("airflow", {{"revoked", true}});
  reconcileAndSync("airflow");
  const int minted = mints();
  const int64_t revision = h_.token("airflow").status.revision;

  // Rotation due, a rotate request, the Secret deleted: still nothing.
  h_.clock().advance(hours(24 * 29));
  reconcileAndSync("airflow");
  Json t = h_.api().object(st::serviceTokenResource(), ReconcilerHarness::kNs, "airflow");
  t["metadata"]["annotations"] = {{st::kRotateAnnotation, "again"}};
  h_.api().put(st::serviceTokenResource(), t);
  reconcileAndSync("airflow");
  h_.api().erase(ctrl::resources::secret(), ReconcilerHarness::kNs, "airflow");
  reconcileAndSync("airflow");
  reconcileAndSync("airflow");

  EXPECT_EQ(mints(), minted);
  EXPECT_EQ(h_.token("airflow").status.revision, revision);
  EXPECT_EQ(h_.token("airflow").status.phase, "Revoked");
}

TEST_F(Revoke, ARevokedTokenThatWasNeverMintedStaysRevokedWithoutASecret) {
  h_.putToken("never", "airflow", "Never", Json{{"revoked", true}});
  reconcileAndSync("never");
  EXPECT_EQ(h_.api().count("create", "secrets"), 0);
  EXPECT_EQ(h_.token("never").status.phase, "Revoked");
}

}  // namespace
}  // namespace sttest
