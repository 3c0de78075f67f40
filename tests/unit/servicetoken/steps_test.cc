// The small pure steps of a reconcile: failure classification and backoff,
// the next wake-up, and who holds a display name.
#include <gtest/gtest.h>

#include "servicetoken/display_names.h"
#include "servicetoken/failure.h"
#include "servicetoken/wake_up.h"

namespace st {
namespace {

using std::chrono::minutes;
using std::chrono::seconds;

TEST(Failure, RejectionsTheServerWillRepeatArePermanent) {
  struct Case {
    ctrl::Code code;
    const char* reason;
    bool permanent;
    const char* message = "m";
  } cases[] = {{ctrl::Code::kInvalid, "Invalid", true},
               {ctrl::Code::kInvalidArgument, "BadRequest", true},
               {ctrl::Code::kForbidden, "PolicyDenied", true,
                "secrets \"a\" is forbidden: ValidatingAdmissionPolicy 'p' with binding 'b' "
                "denied request: no"},
               // RBAC: a restarting API server answers this until its
               // authorizer is ready, so it is retried with backoff.
               {ctrl::Code::kForbidden, "Forbidden", false,
                "secrets is forbidden: User \"x\" cannot create resource \"secrets\""},
               {ctrl::Code::kUnavailable, "MintFailed", false},
               {ctrl::Code::kTooManyRequests, "MintFailed", false},
               {ctrl::Code::kTimeout, "MintFailed", false},
               {ctrl::Code::kUnauthorized, "MintFailed", false}};
  for (const Case& c : cases) {
    const std::string reason = failureReason(ctrl::Status(c.code, c.message));
    EXPECT_EQ(reason, c.reason);
    EXPECT_EQ(isPermanentFailure(reason), c.permanent) << reason;
  }
}

TEST(Failure, TransientBackoffDoublesToTenMinutesAndPermanentWaitsHalfAnHour) {
  EXPECT_EQ(failureBackoff(1, "MintFailed"), seconds(5));
  EXPECT_EQ(failureBackoff(2, "MintFailed"), seconds(10));
  EXPECT_EQ(failureBackoff(4, "MintFailed"), seconds(40));
  EXPECT_EQ(failureBackoff(20, "MintFailed"), minutes(10));
  EXPECT_EQ(failureBackoff(1, "Invalid"), kPermanentRetry);
}

TEST(WakeUp, TheEarliestFutureMomentPlusAMillisecond) {
  const ctrl::WallTime now = std::chrono::sys_days{std::chrono::year{2026} / 1 / 1};
  WakeUpInput in;
  in.now = now;
  EXPECT_FALSE(nextWakeUp(in).has_value());
  in.renewalTime = now + minutes(30);
  in.expiresAt = now + minutes(90);
  in.retryAt = now - minutes(1);  // past moments are ignored
  EXPECT_EQ(*nextWakeUp(in), minutes(30) + std::chrono::milliseconds(1));
  in.previousRetainedUntil = now + minutes(2);
  EXPECT_EQ(*nextWakeUp(in), minutes(2) + std::chrono::milliseconds(1));
}

ServiceToken token(const std::string& name, const std::string& display, int createdSecond) {
  ServiceToken t;
  t.meta.name = name;
  t.meta.uid = "uid-" + name;
  t.meta.creationTimestamp =
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + seconds(createdSecond);
  t.spec.displayName = display;
  return t;
}

TEST(DisplayNames, AHolderKeepsTheNameThenTheOldestThenTheName) {
  ServiceToken older = token("z-older", "Name", 0);
  ServiceToken younger = token("a-younger", "Name", 10);
  ServiceToken sameSecond = token("b", "Name", 0);
  EXPECT_EQ(displayNameOwner({{&older, false}, {&younger, false}}), &older);
  EXPECT_EQ(displayNameOwner({{&older, false}, {&younger, true}}), &younger);
  EXPECT_EQ(displayNameOwner({{&older, true}, {&younger, true}}), &older);
  EXPECT_EQ(displayNameOwner({{&older, false}, {&sameSecond, false}}), &sameSecond);
  // The same answer whatever the order the claimants are listed in.
  EXPECT_EQ(displayNameOwner({{&younger, true}, {&older, false}}), &younger);
}

TEST(DisplayNames, HoldingMeansALiveTokenMintedUnderTheCurrentName) {
  ServiceToken t = token("t", "Now", 0);
  TokenSecret secret;
  EXPECT_FALSE(holdsDisplayName(t, nullptr, ""));
  EXPECT_TRUE(holdsDisplayName(t, nullptr, "Now")) << "what this process just minted";
  EXPECT_FALSE(holdsDisplayName(t, nullptr, "Before"));
  secret.meta.annotations.set(kDisplayNameAnnotation, "Before");
  EXPECT_FALSE(holdsDisplayName(t, &secret, ""));
  secret.meta.annotations.set(kDisplayNameAnnotation, "Now");
  EXPECT_TRUE(holdsDisplayName(t, &secret, ""));
  secret.meta.annotations.clear();  // written before the annotation existed
  EXPECT_TRUE(holdsDisplayName(t, &secret, ""));
}

}  // namespace
}  // namespace st
