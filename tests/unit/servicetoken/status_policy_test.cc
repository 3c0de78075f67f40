#include "servicetoken/status_policy.h"

#include <gtest/gtest.h>

#include "servicetoken/conditions.h"

namespace st {
namespace {

using std::chrono::hours;

const ctrl::WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 2 / 1};

class StatusPolicyTest : public ::testing::Test {
 protected:
  StatusPolicyTest() {
    token_.meta.generation = 4;
    in_.token = &token_;
    in_.now = kNow;
    in_.secretName = "airflow";
    in_.subject = "airflow@service";
    in_.lifetimeLabel = "30d";
    issued_.tokenId = "jti";
    issued_.tokenHash = "sha256:x";
    issued_.revision = 2;
    issued_.issuedAt = kNow - hours(24);
    issued_.expiresAt = kNow + hours(24 * 29);
    issued_.valueMatches = true;
  }
  const Condition& cond(const ServiceTokenStatus& s, const char* type) {
    const Condition* c = findCondition(s.conditions, type);
    EXPECT_NE(c, nullptr) << type;
    static Condition none;
    return c != nullptr ? *c : none;
  }
  ServiceToken token_;
  StatusInput in_;
  IssuedState issued_;
};

TEST_F(StatusPolicyTest, AValidTokenIsActiveAndReady) {
  in_.issued = issued_;
  in_.renewalTime = kNow + hours(24 * 19);
  ServiceTokenStatus s = desiredStatus(in_);
  EXPECT_EQ(s.phase, "Active");
  EXPECT_EQ(s.observedGeneration, 4);
  EXPECT_EQ(s.tokenId, "jti");
  EXPECT_EQ(s.revision, 2);
  EXPECT_EQ(s.expiration, "30d");
  EXPECT_FALSE(s.renewalTime.empty());
  EXPECT_EQ(cond(s, "Ready").status, "True");
  EXPECT_EQ(cond(s, "Ready").observedGeneration, 4);
  EXPECT_EQ(cond(s, "Issuing").status, "False");
  EXPECT_EQ(cond(s, "Stalled").status, "False");
}

TEST_F(StatusPolicyTest, StalledBlockersFailAndWaitingOnesArePending) {
  in_.blocker = Blocker::kDuplicateName;
  in_.blockerMessage = "taken";
  ServiceTokenStatus s = desiredStatus(in_);
  EXPECT_EQ(s.phase, "Failed");
  EXPECT_EQ(cond(s, "Ready").reason, "DuplicateName");
  EXPECT_EQ(cond(s, "Stalled").status, "True");

  in_.blocker = Blocker::kServiceUserNotFound;
  s = desiredStatus(in_);
  EXPECT_EQ(s.phase, "Pending");
  EXPECT_EQ(cond(s, "Ready").reason, "ServiceUserNotFound");
  EXPECT_EQ(cond(s, "Stalled").status, "False");
}

TEST_F(StatusPolicyTest, PastExpiryIsExpiredAndFailuresAreReported) {
  issued_.expiresAt = kNow - hours(1);
  in_.issued = issued_;
  ServiceTokenStatus s = desiredStatus(in_);
  EXPECT_EQ(s.phase, "Expired");
  EXPECT_EQ(cond(s, "Ready").status, "False");
  EXPECT_EQ(cond(s, "Ready").reason, "Expired");

  in_.issued.reset();
  in_.pendingTrigger = Trigger{TriggerReason::kInitial, "No token has been issued yet"};
  in_.failedAttempts = 3;
  in_.lastFailureTime = "2026-02-01T00:00:00Z";
  in_.failureMessage = "minting failed: no key";
  s = desiredStatus(in_);
  EXPECT_EQ(s.phase, "Pending");
  EXPECT_EQ(s.failedAttempts, 3);
  EXPECT_EQ(cond(s, "Ready").reason, "MintFailed");
  EXPECT_EQ(cond(s, "Issuing").status, "True");
  EXPECT_NE(cond(s, "Issuing").message.find("attempt 3 failed"), std::string::npos);
}

TEST_F(StatusPolicyTest, TransitionTimesChangeOnlyWhenTheStatusFlips) {
  in_.issued = issued_;
  ServiceTokenStatus first = desiredStatus(in_);
  token_.status = first;
  in_.now = kNow + hours(5);
  ServiceTokenStatus again = desiredStatus(in_);
  EXPECT_EQ(again, first) << "a steady state must produce an identical status (no write)";
  in_.issued->expiresAt = kNow;  // now expired
  ServiceTokenStatus expired = desiredStatus(in_);
  EXPECT_NE(cond(expired, "Ready").lastTransitionTime, cond(first, "Ready").lastTransitionTime);
  EXPECT_EQ(cond(expired, "Stalled").lastTransitionTime, cond(first, "Stalled").lastTransitionTime);
}

}  // namespace
}  // namespace st
