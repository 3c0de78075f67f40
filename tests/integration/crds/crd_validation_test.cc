// The CRDs in crds/ reject bad manifests at apply time, on the real
// kube-apiserver, with a message that names the offending field.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "control_plane.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

class CrdValidationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ControlPlane& cp = sharedControlPlane();
    ctrl::Status installed = cp.installCrds();
    ASSERT_TRUE(installed.isOk()) << installed.toString();
  }

  static ProcessResult apply(const std::string& manifest) {
    return sharedControlPlane().kubectl({"apply", "--server-side", "-f", "-"}, manifest);
  }

  static std::string token(const std::string& name, const std::string& spec) {
    return "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata: {name: " + name +
           ", namespace: default}\nspec:\n" + spec;
  }
  static std::string user(const std::string& name, const std::string& spec) {
    return "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: " + name +
           ", namespace: default}\nspec:\n" + spec;
  }
};

struct BadManifest {
  const char* name;
  bool isUser;
  const char* spec;
  const char* field;  // the message must name this field
};

constexpr const char* kOkService =
    "  displayName: Airflow Service User\n  type: Service\n  serviceUserRef: {name: airflow}\n";

const BadManifest kBadManifests[] = {
    {"service-without-user", false, "  displayName: a\n  type: Service\n  expiration: 30d\n",
     "spec.serviceUserRef"},
    {"personal-without-owner", false, "  displayName: a\n  type: Personal\n  expiration: 30d\n",
     "spec.owner"},
    {"service-with-owner", false,
     "  displayName: a\n  type: Service\n  serviceUserRef: {name: u}\n  owner: bob\n"
     "  expiration: 30d\n",
     "spec.owner"},
    {"personal-with-user", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  serviceUserRef: {name: u}\n"
     "  expiration: 30d\n",
     "spec.serviceUserRef"},
    {"both-expirations", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n"
     "  expiration: 30d\n  expiresInDays: 10\n",
     "spec.expiration"},
    {"no-expiration", false, "  displayName: a\n  type: Personal\n  owner: bob\n",
     "spec.expiration"},
    {"expiration-not-in-enum", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 45d\n", "spec.expiration"},
    {"expires-in-zero-days", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiresInDays: 0\n",
     "spec.expiresInDays"},
    {"expires-in-366-days", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiresInDays: 366\n",
     "spec.expiresInDays"},
    {"empty-display-name", false,
     "  displayName: \"\"\n  type: Personal\n  owner: bob\n  expiration: 30d\n",
     "spec.displayName"},
    {"missing-display-name", false, "  type: Personal\n  owner: bob\n  expiration: 30d\n",
     "spec.displayName"},
    {"unknown-type", false, "  displayName: a\n  type: Robot\n  owner: bob\n  expiration: 30d\n",
     "spec.type"},
    {"bad-user-ref-name", false,
     "  displayName: a\n  type: Service\n  serviceUserRef: {name: Bad_Name}\n  expiration: 30d\n",
     "spec.serviceUserRef.name"},
    {"bad-secret-name", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  secret: {name: \"no/slash\"}\n",
     "spec.secret.name"},
    {"bad-deletion-policy", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  secret: {deletionPolicy: Keep}\n",
     "spec.secret.deletionPolicy"},
    {"reserved-secret-label", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  secret: {labels: {servicetoken.dev/servicetoken: other}}\n",
     "spec.secret.labels"},
    {"bad-rotation-policy", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  rotation: {policy: Sometimes}\n",
     "spec.rotation.policy"},
    {"bad-renew-before", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  rotation: {renewBefore: ten days}\n",
     "spec.rotation.renewBefore"},
    {"bad-grace-period", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  rotation: {gracePeriod: \"-1h\"}\n",
     "spec.rotation.gracePeriod"},
    {"scim-not-boolean", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  scimAdministration: \"maybe\"\n",
     "spec.scimAdministration"},
    // A renewal earlier than half the lifetime would rotate in a loop.
    {"renew-before-leaves-no-room", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiresInDays: 1\n"
     "  rotation: {renewBefore: 23h59m}\n",
     "spec.rotation.renewBefore"},
    {"renew-before-more-than-half", false,
     "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"
     "  rotation: {renewBefore: 15d1s}\n",
     "spec.rotation.renewBefore"},
    {"user-display-name-without-letters", true, "  displayName: \"!! -- !!\"\n",
     "spec.displayName"},
    {"user-unknown-role", true, "  displayName: Pipeline Automation\n  role: Root\n", "spec.role"},
    {"user-missing-display-name", true, "  role: Admin\n", "spec.displayName"},
    {"user-bad-email", true, "  displayName: Pipeline Automation\n  email: not-an-address\n",
     "spec.email"},
};

TEST_F(CrdValidationTest, InvalidManifestsAreRejectedNamingTheField) {
  ASSERT_GE(std::size(kBadManifests), 15u);
  for (const BadManifest& bad : kBadManifests) {
    SCOPED_TRACE(bad.name);
    std::string manifest = bad.isUser ? user(bad.name, bad.spec) : token(bad.name, bad.spec);
    ProcessResult r = apply(manifest);
    EXPECT_NE(r.exitCode, 0) << "accepted: " << manifest;
    EXPECT_THAT(r.err, HasSubstr(bad.field));
  }
  // Nothing was stored.
  ProcessResult list = sharedControlPlane().kubectl(
      {"get", "servicetokens,serviceusers", "-n", "default", "-o", "name"});
  EXPECT_EQ(list.out, "");
}

TEST_F(CrdValidationTest, ValidManifestsAreAcceptedWithoutSchemaDefaults) {
  ProcessResult r = apply(token("airflow", std::string(kOkService) + "  expiration: 1y\n"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = apply(token("personal",
                  "  displayName: Laptop\n  type: Personal\n  owner: ada@example.com\n"
                  "  expiresInDays: 45\n  scimAdministration: true\n"
                  "  secret: {name: laptop-token, deletionPolicy: Retain,"
                  " labels: {team: data}}\n"
                  "  rotation: {policy: Disabled, renewBefore: 10d, gracePeriod: 36h}\n"));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = apply(user("pipeline",
                 "  displayName: Pipeline Automation\n  email: pipes@example.com\n"
                 "  role: Admin\n  teams: [data, platform]\n"));
  ASSERT_EQ(r.exitCode, 0) << r.err;

  // No defaults were written into spec (GitOps tools would report them as drift).
  r = sharedControlPlane().kubectl(
      {"get", "servicetoken", "airflow", "-n", "default", "-o", "jsonpath={.spec}"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("rotation")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("secret")));
  EXPECT_THAT(r.out, ::testing::Not(HasSubstr("scimAdministration")));
}

TEST_F(CrdValidationTest, IdentityFieldsAreImmutable) {
  ASSERT_EQ(apply(token("immutable", std::string(kOkService) + "  expiration: 30d\n")).exitCode, 0);
  // Mutable fields may change.
  ProcessResult ok = apply(token("immutable",
                                 "  displayName: Renamed\n  type: Service\n"
                                 "  serviceUserRef: {name: airflow}\n"
                                 "  expiration: 90d\n"));
  EXPECT_EQ(ok.exitCode, 0) << ok.err;

  ProcessResult r = apply(token("immutable",
                                "  displayName: Renamed\n  type: Service\n"
                                "  serviceUserRef: {name: someone-else}\n"
                                "  expiration: 90d\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.serviceUserRef is immutable"));

  r = apply(token("immutable",
                  "  displayName: Renamed\n  type: Personal\n  owner: bob\n  expiration: 90d\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.type is immutable"));

  ASSERT_EQ(apply(token("immutable-owner",
                        "  displayName: a\n  type: Personal\n  owner: bob\n  expiration: 30d\n"))
                .exitCode,
            0);
  r = apply(token("immutable-owner",
                  "  displayName: a\n  type: Personal\n  owner: eve\n  expiration: 30d\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.owner is immutable"));
}

TEST_F(CrdValidationTest, RenewBeforeUpToHalfTheLifetimeIsAccepted) {
  ProcessResult r = apply(token(
      "half", std::string(kOkService) + "  expiration: 30d\n  rotation: {renewBefore: 15d}\n"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = apply(token("half-days", std::string(kOkService) +
                                   "  expiresInDays: 1\n  rotation: {renewBefore: 11h59m60s}\n"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = apply(
      token("never-ignores-renew-before",
            std::string(kOkService) + "  expiration: Never\n  rotation: {renewBefore: 400d}\n"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  r = apply(token("half-days", std::string(kOkService) +
                                   "  expiresInDays: 1\n  rotation: {renewBefore: 12h1s}\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("at most half of the token's lifetime"));
}

// The name is a label value on the Secret (at most 63 characters): a longer
// one could never get a Secret, so it is refused at apply time.
TEST_F(CrdValidationTest, TokenNamesLongerThanALabelValueAreRejected) {
  const std::string ok(63, 'a');
  ProcessResult r = apply(token(ok, std::string(kOkService) + "  expiration: 30d\n"));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  const std::string tooLong(64, 'b');
  r = apply(token(tooLong, std::string(kOkService) + "  expiration: 30d\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("metadata.name must be at most 63 characters"));
}

TEST_F(CrdValidationTest, ServiceUserDisplayNameIsImmutable) {
  ASSERT_EQ(apply(user("pinned", "  displayName: Pipeline Automation\n")).exitCode, 0);
  ProcessResult ok = apply(user("pinned", "  displayName: Pipeline Automation\n  role: Manager\n"));
  EXPECT_EQ(ok.exitCode, 0) << ok.err;
  ProcessResult r = apply(user("pinned", "  displayName: Pipeline Robot\n"));
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.displayName is immutable"));
}

TEST_F(CrdValidationTest, ShortNamesAndPrinterColumnsAreServed) {
  ASSERT_EQ(apply(token("columns", std::string(kOkService) + "  expiration: 30d\n")).exitCode, 0);
  ProcessResult r = sharedControlPlane().kubectl({"get", "st", "columns", "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const char* column : {"DISPLAY NAME", "USER", "TYPE", "EXPIRATION", "STATUS", "EXPIRES",
                             "RENEWS", "LAST USED", "AGE"}) {
    EXPECT_THAT(r.out, HasSubstr(column));
  }
  EXPECT_EQ(sharedControlPlane().kubectl({"get", "su", "-n", "default"}).exitCode, 0);

  // Expiry and renewal lie in the future: shown as times, never as kubectl's
  // "<invalid>" (what a date column prints for a time to come).
  ProcessResult patched = sharedControlPlane().kubectl(
      {"patch", "st", "columns", "-n", "default", "--subresource=status", "--type=merge", "-p",
       R"({"status":{"phase":"Active","expiresAt":"2099-01-02T03:04:05Z",)"
       R"("renewalTime":"2098-11-12T13:14:15Z","lastUsedTime":"2020-01-01T00:00:00Z"}})"});
  ASSERT_EQ(patched.exitCode, 0) << patched.err;
  r = sharedControlPlane().kubectl({"get", "st", "columns", "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("2099-01-02T03:04:05Z"));
  EXPECT_THAT(r.out, HasSubstr("2098-11-12T13:14:15Z"));
  EXPECT_THAT(r.out, Not(HasSubstr("<invalid>")));
}

}  // namespace
}  // namespace sttest
