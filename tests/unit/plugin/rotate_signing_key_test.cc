// `kubectl servicetoken rotate-signing-key [--retire-old]`: one merge patch of
// the two request annotations on the key Secret, its keys untouched.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <sstream>

#include "api/types.h"
#include "controller/resource.h"
#include "fake_clock.h"
#include "mocks/fake_lease_client.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

namespace st::plugin {
namespace {

using ::testing::HasSubstr;

ctrl::Json keySecret() {
  return {
      {"apiVersion", "v1"},
      {"kind", "Secret"},
      {"metadata",
       {{"name", "servicetoken-signing-keys"}, {"annotations", {{kRetireOldAnnotation, "true"}}}}},
      {"data", {{"active-kid", "YQ=="}}}};
}

TEST(RotateSigningKeyTest, RetireOldSetsBothAnnotationsAndLeavesTheKeysAlone) {
  sttest::FakeLeaseClient client;
  sttest::FakeClock clock;
  client.put(ctrl::resources::secret(), "ops", keySecret());
  std::ostringstream out;
  ctrl::Status s = requestSigningKeyRotation(client, clock, {"ops", "servicetoken-signing-keys"},
                                             /*retireOld=*/true, out);
  ASSERT_TRUE(s.isOk()) << s.toString();
  auto o = client.object(ctrl::resources::secret(), "ops", "servicetoken-signing-keys");
  ASSERT_TRUE(o);
  EXPECT_EQ((*o)["metadata"]["annotations"][kRotateSigningKeyAnnotation],
            "2026-01-01T00:00:00.000000Z");
  EXPECT_EQ((*o)["metadata"]["annotations"][kRetireOldAnnotation], "true");
  EXPECT_EQ((*o)["data"]["active-kid"], "YQ==");
  EXPECT_EQ(client.calls("patch"), 1);
  EXPECT_EQ(client.calls("get"), 0) << "the plugin needs to read no key";
  EXPECT_THAT(out.str(), HasSubstr("withdraws every old key from the JWKS now"));
}

TEST(RotateSigningKeyTest, APlainRequestClearsAnEarlierRetireOld) {
  sttest::FakeLeaseClient client;
  sttest::FakeClock clock;
  client.put(ctrl::resources::secret(), "ops", keySecret());
  std::ostringstream out;
  ASSERT_TRUE(requestSigningKeyRotation(client, clock, {"ops", "servicetoken-signing-keys"},
                                        /*retireOld=*/false, out)
                  .isOk());
  auto o = client.object(ctrl::resources::secret(), "ops", "servicetoken-signing-keys");
  ASSERT_TRUE(o);
  EXPECT_FALSE((*o)["metadata"]["annotations"].contains(kRetireOldAnnotation));
  EXPECT_THAT(out.str(), HasSubstr("after the publish delay"));
}

TEST(RotateSigningKeyTest, AMissingSecretNamesItAndTheFlags) {
  sttest::FakeLeaseClient client;
  sttest::FakeClock clock;
  std::ostringstream out;
  ctrl::Status s = requestSigningKeyRotation(client, clock, {"ops", "keys"}, false, out);
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("signing-key Secret keys not found in namespace ops"));
  EXPECT_THAT(s.message(), HasSubstr("--operator-namespace"));
  EXPECT_EQ(out.str(), "");
}

TEST(RotateSigningKeyTest, TheCommandLineParsesRotateSigningKey) {
  const char* argv[] = {"kubectl-servicetoken", "rotate-signing-key", "--retire-old",
                        "--operator-namespace", "ops"};
  auto parsed = parseArgs(5, argv);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->args.command, Command::kRotateSigningKey);
  EXPECT_TRUE(parsed->args.retireOld);
  EXPECT_EQ(parsed->args.operatorNamespace, "ops");
  EXPECT_EQ(parsed->args.signingKeySecret, "servicetoken-signing-keys");
  const char* plain[] = {"kubectl-servicetoken", "rotate-signing-key"};
  auto p = parseArgs(2, plain);
  ASSERT_TRUE(p.isOk());
  EXPECT_FALSE(p->args.retireOld);
}

}  // namespace
}  // namespace st::plugin
