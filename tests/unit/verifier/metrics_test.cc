// The decision metrics: every series exists at zero, and a decision counts
// under its interface, result and reason.
#include "controller/metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include "verifier/verifier_metrics.h"

namespace {

using ::testing::HasSubstr;

TEST(VerifierMetrics, CountsDecisionsByInterfaceResultAndReason) {
  prometheus::Registry registry;
  st::verifier::VerifierMetrics metrics(registry);
  std::string text = ctrl::renderMetrics(registry);
  EXPECT_THAT(text, HasSubstr("servicetoken_verifier_decisions_total{interface=\"forward_auth\","
                              "reason=\"revoked\",result=\"unauthenticated\"} 0"));
  metrics.record(st::verifier::Interface::kForwardAuth, st::verifier::Reason::kRevoked,
                 std::chrono::microseconds(40));
  metrics.record(st::verifier::Interface::kTokenReview, st::verifier::Reason::kInsufficientScope,
                 std::chrono::microseconds(40));
  metrics.setVerifiedTokens(3);
  text = ctrl::renderMetrics(registry);
  EXPECT_THAT(text, HasSubstr("servicetoken_verifier_decisions_total{interface=\"forward_auth\","
                              "reason=\"revoked\",result=\"unauthenticated\"} 1"));
  EXPECT_THAT(text, HasSubstr("servicetoken_verifier_decisions_total{interface=\"token_review\","
                              "reason=\"insufficient_scope\",result=\"forbidden\"} 1"));
  EXPECT_THAT(text, HasSubstr("servicetoken_verifier_decision_duration_seconds_bucket{interface="
                              "\"forward_auth\",le=\"5e-05\"} 1"));
  EXPECT_THAT(text, HasSubstr("servicetoken_verifier_verified_tokens 3"));
}

TEST(VerifierMetrics, ReasonsAreListedInEnumOrder) {
  size_t i = 0;
  for (auto r : st::verifier::kAllReasons) EXPECT_EQ(static_cast<size_t>(r), i++);
}

}  // namespace
