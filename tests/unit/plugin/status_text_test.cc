// formatStatus(): every wording of `kubectl servicetoken status`, from struct
// literals (Active, Never, Disabled, Stalled, stale, not yet reported).
#include "plugin/status_text.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>

namespace st::plugin {
namespace {

using ::testing::AllOf;
using ::testing::HasSubstr;
using ::testing::Not;

const ctrl::WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 1 / 11};

Condition cond(std::string type, std::string status, std::string reason, std::string message,
               int64_t gen = 2) {
  return Condition{
      std::move(type),       std::move(status), std::move(reason), std::move(message), gen,
      "2026-01-01T00:00:00Z"};
}

ServiceToken activeToken() {
  ServiceToken t;
  t.meta.name = "airflow";
  t.meta.namespace_ = "data";
  t.meta.generation = 2;
  t.spec.displayName = "Airflow Service User";
  t.spec.type = TokenType::kService;
  t.spec.serviceUserRef = "airflow";
  t.spec.expiration = "30d";
  ServiceTokenStatus& s = t.status;
  s.phase = "Active";
  s.observedGeneration = 2;
  s.serviceUserId = "airflow_service_user@service";
  s.secretName = "airflow-token";
  s.expiration = "30d";
  s.tokenId = "jti-1";
  s.tokenHash = "sha256:feedface";
  s.issuedAt = "2026-01-01T00:00:00Z";
  s.expiresAt = "2026-01-31T00:00:00Z";
  s.renewalTime = "2026-01-21T00:00:00Z";
  s.revision = 3;
  s.previousToken =
      PreviousToken{"jti-0", "sha256:beef", "2026-01-20T00:00:00Z", "2026-01-08T00:00:00Z"};
  s.conditions = {
      cond("Stalled", "False", "Progressing", "The operator can make progress without help"),
      cond("Ready", "True", "Issued",
           "Token jti-1 is valid until 2026-01-31T00:00:00Z and stored in Secret airflow-token"),
      cond("Issuing", "False", "UpToDate", "No token needs to be issued"),
  };
  return t;
}

TEST(FormatStatus, ActiveTokenShowsEveryField) {
  const std::string out = formatStatus(activeToken(), kNow);
  EXPECT_THAT(out, HasSubstr("Name:             airflow\n"));
  EXPECT_THAT(out, HasSubstr("Namespace:        data\n"));
  EXPECT_THAT(out, HasSubstr("Display name:     Airflow Service User\n"));
  EXPECT_THAT(out, HasSubstr("Type:             Service\n"));
  EXPECT_THAT(out, HasSubstr("User:             airflow_service_user@service\n"));
  EXPECT_THAT(out, HasSubstr("Scope:            API\n"));
  EXPECT_THAT(out, HasSubstr("Expiration:       30d\n"));
  EXPECT_THAT(out, HasSubstr("Phase:            Active\n"));
  EXPECT_THAT(out, HasSubstr("Issued:           2026-01-01T00:00:00Z (10d ago)\n"));
  EXPECT_THAT(out, HasSubstr("Expires:          2026-01-31T00:00:00Z (in 20d)\n"));
  EXPECT_THAT(out, HasSubstr("Next rotation:    2026-01-21T00:00:00Z (in 10d)\n"));
  EXPECT_THAT(out, HasSubstr("Revision:         3\n"));
  EXPECT_THAT(out, HasSubstr("Secret:           airflow-token\n"));
  EXPECT_THAT(out, HasSubstr("Previous token:   token jti-0 kept in the Secret under "
                             "token.previous until 2026-01-08T00:00:00Z (3d ago)\n"));
  EXPECT_THAT(out, HasSubstr("Status:           current (generation 2)\n"));
}

TEST(FormatStatus, ConditionsInPlainWordsReadyFirst) {
  const std::string out = formatStatus(activeToken(), kNow);
  EXPECT_THAT(out, HasSubstr("Conditions:\n"
                             "  Ready: yes — Token jti-1 is valid until 2026-01-31T00:00:00Z and "
                             "stored in Secret airflow-token\n"
                             "  Issuing: no — No token needs to be issued\n"
                             "  Stalled: no — The operator can make progress without help\n"));
}

TEST(FormatStatus, NeverPrintsTheTokenHash) {
  const std::string out = formatStatus(activeToken(), kNow);
  EXPECT_THAT(out, AllOf(Not(HasSubstr("feedface")), Not(HasSubstr("beef"))));
}

TEST(FormatStatus, NeverExpiringTokenHasNoExpiryAndNoRotation) {
  ServiceToken t = activeToken();
  t.spec.expiration = "Never";
  t.status.expiration = "Never";
  t.status.expiresAt.clear();
  t.status.renewalTime.clear();
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("Expiration:       Never\n"));
  EXPECT_THAT(out, HasSubstr("Expires:          never\n"));
  EXPECT_THAT(out, HasSubstr("Next rotation:    none (never expires)\n"));
}

TEST(FormatStatus, DisabledRotationSaysSo) {
  ServiceToken t = activeToken();
  t.spec.rotation.policy = "Disabled";
  t.status.renewalTime.clear();
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("Next rotation:    disabled\n"));
  EXPECT_THAT(out, HasSubstr("Expires:          2026-01-31T00:00:00Z (in 20d)\n"));
}

TEST(FormatStatus, StalledTokenShowsReasonsAndMessages) {
  ServiceToken t = activeToken();
  t.status.phase = "Failed";
  const std::string msg = "Another ServiceToken (data/other) already uses this display name";
  t.status.conditions = {cond("Ready", "False", "DuplicateName", msg),
                         cond("Issuing", "False", "UpToDate", "No token needs to be issued"),
                         cond("Stalled", "True", "DuplicateName", msg)};
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("Phase:            Failed\n"));
  EXPECT_THAT(out, HasSubstr("  Ready: no (DuplicateName) — " + msg + "\n"));
  EXPECT_THAT(out, HasSubstr("  Stalled: yes (DuplicateName) — " + msg + "\n"));
}

TEST(FormatStatus, StaleStatusNamesBothGenerations) {
  ServiceToken t = activeToken();
  t.meta.generation = 3;
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("Status:           stale: reflects generation 2, the spec is at "
                             "generation 3"));
  EXPECT_THAT(out, HasSubstr("[as of generation 2]"));
}

TEST(FormatStatus, FreshObjectWithoutStatus) {
  ServiceToken t;
  t.meta.name = "new";
  t.meta.namespace_ = "default";
  t.meta.generation = 1;
  t.spec.displayName = "New";
  t.spec.serviceUserRef = "bot";
  t.spec.expiresInDays = 45;
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("User:             not resolved yet (ServiceUser bot)\n"));
  EXPECT_THAT(out, HasSubstr("Expiration:       45d (requested; not confirmed"));
  EXPECT_THAT(out, HasSubstr("Phase:            unknown (no status reported yet)\n"));
  EXPECT_THAT(out, HasSubstr("Issued:           not yet\n"));
  EXPECT_THAT(out, HasSubstr("Revision:         0 (no token minted yet)\n"));
  EXPECT_THAT(out, HasSubstr("Secret:           new\n"));
  EXPECT_THAT(out, HasSubstr("Status:           not reported yet"));
  EXPECT_THAT(out, HasSubstr("Conditions:\n  none reported yet\n"));
}

TEST(FormatStatus, PersonalTokenShowsOwnerAndScimScope) {
  ServiceToken t = activeToken();
  t.spec.type = TokenType::kPersonal;
  t.spec.owner = "alice@example.com";
  t.spec.scimAdministration = true;
  t.status.serviceUserId.clear();
  const std::string out = formatStatus(t, kNow);
  EXPECT_THAT(out, HasSubstr("Type:             Personal\n"));
  EXPECT_THAT(out, HasSubstr("User:             alice@example.com\n"));
  EXPECT_THAT(out, HasSubstr("Scope:            SCIM administration only"));
}

TEST(FormatStatus, ManualRotationPendingThenDone) {
  ServiceToken t = activeToken();
  t.meta.annotations.set(kRotateAnnotation, "2026-01-10T00:00:00.000001Z");
  EXPECT_THAT(formatStatus(t, kNow),
              HasSubstr("Manual rotation:  request 2026-01-10T00:00:00.000001Z pending\n"));
  t.status.rotateRequest = "2026-01-10T00:00:00.000001Z";
  EXPECT_THAT(formatStatus(t, kNow),
              HasSubstr("Manual rotation:  request 2026-01-10T00:00:00.000001Z done\n"));
  EXPECT_THAT(formatStatus(activeToken(), kNow), Not(HasSubstr("Manual rotation")));
}

TEST(FormatStatus, FailedAttemptsAreShown) {
  ServiceToken t = activeToken();
  t.status.failedAttempts = 4;
  t.status.lastFailureTime = "2026-01-10T22:00:00Z";
  EXPECT_THAT(formatStatus(t, kNow),
              HasSubstr("Failed attempts:  4, last 2026-01-10T22:00:00Z (2h ago)\n"));
}

TEST(FormatCondition, ReasonOnlyWhenItExplainsSomething) {
  EXPECT_EQ(formatCondition(cond("Ready", "True", "Issued", "ok")), "Ready: yes — ok");
  EXPECT_EQ(formatCondition(cond("Ready", "Unknown", "Pending", "")), "Ready: unknown (Pending)");
  EXPECT_EQ(formatCondition(cond("Issuing", "True", "RenewalDue", "due")),
            "Issuing: yes (RenewalDue) — due");
  EXPECT_EQ(formatCondition(cond("Issuing", "False", "UpToDate", "")), "Issuing: no");
}

TEST(RelativeTime, CoarseUnitsBothDirections) {
  using namespace std::chrono_literals;
  EXPECT_EQ(relativeTime(kNow, kNow), "now");
  EXPECT_EQ(relativeTime(kNow + 30s, kNow), "in 30s");
  EXPECT_EQ(relativeTime(kNow - 90s, kNow), "90s ago");
  EXPECT_EQ(relativeTime(kNow + 5min, kNow), "in 5m");
  EXPECT_EQ(relativeTime(kNow - 26h, kNow), "26h ago");
  EXPECT_EQ(relativeTime(kNow + 24h * 20, kNow), "in 20d");
}

}  // namespace
}  // namespace st::plugin
