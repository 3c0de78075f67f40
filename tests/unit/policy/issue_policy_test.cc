#include "policy/issue_policy.h"

#include <gtest/gtest.h>

namespace st {
namespace {

using std::chrono::hours;

class IssuePolicyTest : public ::testing::Test {
 protected:
  IssuePolicyTest() {
    token_.meta.name = "airflow";
    token_.spec.displayName = "Airflow";
    token_.spec.serviceUserRef = "airflow";
    token_.spec.expiration = "30d";
    secret_.tokenHash = "sha256:aaaa";
    secret_.meta.annotations.set(kTokenHashAnnotation, "sha256:aaaa");
    secret_.meta.annotations.set(kSpecHashAnnotation, specHash(token_.spec));
    in_.token = &token_;
    in_.secret = &secret_;
    in_.specHash = specHash(token_.spec);
    in_.now = ctrl::WallTime{} + hours(1000);
    in_.renewalTime = in_.now + hours(1);
  }
  std::string reason() {
    auto t = evaluateIssuePolicies(in_);
    return t ? t->name() : "";
  }
  ServiceToken token_;
  TokenSecret secret_;
  IssuingInput in_;
};

TEST_F(IssuePolicyTest, AHealthyTokenStands) { EXPECT_EQ(reason(), ""); }

TEST_F(IssuePolicyTest, NoSecretMeansInitialOrDeleted) {
  in_.secret = nullptr;
  EXPECT_EQ(reason(), "Initial");
  token_.status.revision = 2;
  EXPECT_EQ(reason(), "SecretDeleted");
}

TEST_F(IssuePolicyTest, ANewSecretNameIsAMoveNotADeletion) {
  in_.secret = nullptr;
  token_.status.revision = 1;
  token_.status.secretName = "airflow";
  token_.spec.secret.name = "airflow-token";
  EXPECT_EQ(reason(), "SecretMoved");
  auto t = evaluateIssuePolicies(in_);
  ASSERT_TRUE(t);
  EXPECT_NE(t->message.find("from airflow to airflow-token"), std::string::npos) << t->message;
  EXPECT_FALSE(keepsPreviousToken(t->reason));
  EXPECT_FALSE(isAutomatic(t->reason));
}

TEST_F(IssuePolicyTest, AServiceUserCreatedAgainGetsANewToken) {
  secret_.meta.annotations.set(kServiceUserUidAnnotation, "uid-old");
  in_.serviceUserUid = "uid-old";
  EXPECT_EQ(reason(), "");
  in_.serviceUserUid = "uid-new";
  EXPECT_EQ(reason(), "ServiceUserReplaced");
  // Secrets from before the annotation carry no UID: nothing to compare.
  secret_.meta.annotations.erase(kServiceUserUidAnnotation);
  EXPECT_EQ(reason(), "");
}

TEST(TriggerReasons, OnlyRotationsKeepThePreviousTokenAndOnlyUnaskedMintsAreAutomatic) {
  using R = TriggerReason;
  for (R r : {R::kRenewalDue, R::kManualRotation, R::kSpecChanged}) {
    EXPECT_TRUE(keepsPreviousToken(r)) << triggerReasonName(r);
  }
  for (R r : {R::kInitial, R::kSecretDeleted, R::kSecretMoved, R::kSecretTampered,
              R::kServiceUserReplaced}) {
    EXPECT_FALSE(keepsPreviousToken(r)) << triggerReasonName(r);
  }
  for (R r : {R::kRenewalDue, R::kSecretDeleted, R::kSecretTampered, R::kServiceUserReplaced}) {
    EXPECT_TRUE(isAutomatic(r)) << triggerReasonName(r);
  }
  for (R r : {R::kInitial, R::kSecretMoved, R::kSpecChanged, R::kManualRotation}) {
    EXPECT_FALSE(isAutomatic(r)) << triggerReasonName(r);
  }
}

TEST_F(IssuePolicyTest, AnEditedOrEmptiedTokenIsTampered) {
  secret_.tokenHash = "sha256:bbbb";
  EXPECT_EQ(reason(), "SecretTampered");
  secret_.tokenHash = "";
  EXPECT_EQ(reason(), "SecretTampered");
}

TEST_F(IssuePolicyTest, TokenCarriedSpecChangesMintButSecretMetadataDoesNot) {
  ServiceTokenSpec changed = token_.spec;
  changed.secret.labels["team"] = "data";
  changed.secret.deletionPolicy = "Retain";
  changed.rotation.gracePeriod = "1d";
  EXPECT_EQ(specHash(changed), specHash(token_.spec));

  for (auto mutate : std::initializer_list<void (*)(ServiceTokenSpec&)>{
           [](ServiceTokenSpec& s) { s.displayName = "Other"; },
           [](ServiceTokenSpec& s) { s.expiration = "90d"; },
           [](ServiceTokenSpec& s) {
             s.expiration = "";
             s.expiresInDays = 30;
           },
           [](ServiceTokenSpec& s) { s.scimAdministration = true; }}) {
    ServiceTokenSpec s = token_.spec;
    mutate(s);
    in_.specHash = specHash(s);
    EXPECT_EQ(reason(), "SpecChanged");
  }
}

TEST_F(IssuePolicyTest, EachDistinctRotateValueTriggersOnce) {
  token_.meta.annotations.set(kRotateAnnotation, "2026-11-28T10:00:00Z");
  EXPECT_EQ(reason(), "ManualRotation");
  // After the rotation the Secret records the value it honoured.
  secret_.meta.annotations.set(kRotateRequestAnnotation, "2026-11-28T10:00:00Z");
  EXPECT_EQ(reason(), "");
  token_.meta.annotations.set(kRotateAnnotation, "2026-11-28T11:00:00Z");
  EXPECT_EQ(reason(), "ManualRotation");
}

TEST_F(IssuePolicyTest, ATokenOfAWithdrawnKeyIsRemintedBeforeItsRenewalAndNotKeptAsPrevious) {
  in_.signingKeyRevoked = true;
  EXPECT_EQ(reason(), "SigningKeyRetired");
  in_.renewalTime = in_.now;  // the more specific reason wins
  EXPECT_EQ(reason(), "SigningKeyRetired");
  EXPECT_FALSE(isAutomatic(TriggerReason::kSigningKeyRetired)) << "counted by the mint guard";
  EXPECT_FALSE(keepsPreviousToken(TriggerReason::kSigningKeyRetired));
  in_.signingKeyRevoked = false;
  EXPECT_EQ(reason(), "RenewalDue");
}

TEST_F(IssuePolicyTest, RenewalIsDueAtTheRenewalTimeNotBefore) {
  in_.renewalTime = in_.now + std::chrono::seconds(1);
  EXPECT_EQ(reason(), "");
  in_.renewalTime = in_.now;
  EXPECT_EQ(reason(), "RenewalDue");
  in_.renewalTime = std::nullopt;  // Never, or rotation Disabled
  EXPECT_EQ(reason(), "");
}

TEST_F(IssuePolicyTest, TamperingOutranksTheOtherTriggers) {
  secret_.tokenHash = "sha256:bbbb";
  in_.specHash = "different";
  in_.renewalTime = in_.now;
  EXPECT_EQ(reason(), "SecretTampered");
}

}  // namespace
}  // namespace st
