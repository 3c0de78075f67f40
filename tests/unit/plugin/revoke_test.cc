// `kubectl servicetoken revoke`: one merge patch of spec.revoked, the other
// spec fields kept; the command line parses it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/types.h"
#include "mocks/fake_lease_client.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

namespace st::plugin {
namespace {

using ::testing::HasSubstr;

TEST(RevokeTest, SetsSpecRevokedWithAMergePatchAndSaysItCannotBeUndone) {
  sttest::FakeLeaseClient client;
  client.put(serviceTokenResource(), "data",
             {{"apiVersion", kApiVersion},
              {"kind", "ServiceToken"},
              {"metadata", {{"name", "airflow"}}},
              {"spec", {{"displayName", "Airflow"}, {"expiration", "30d"}}},
              {"status", {{"secretName", "airflow-secret"}}}});
  std::ostringstream out;
  ctrl::Status s = revokeToken(client, {"data", "airflow"}, out);
  ASSERT_TRUE(s.isOk()) << s.toString();
  auto o = client.object(serviceTokenResource(), "data", "airflow");
  ASSERT_TRUE(o);
  EXPECT_EQ((*o)["spec"]["revoked"], true);
  EXPECT_EQ((*o)["spec"]["displayName"], "Airflow");
  EXPECT_EQ(client.calls("patch"), 1);
  EXPECT_THAT(out.str(), HasSubstr("Revoked servicetoken airflow in namespace data"));
  EXPECT_THAT(out.str(), HasSubstr("cannot be undone"));
  EXPECT_THAT(out.str(), HasSubstr("Secret airflow-secret"));
}

TEST(RevokeTest, AMissingServiceTokenIsNotFoundNamingIt) {
  sttest::FakeLeaseClient client;
  std::ostringstream out;
  ctrl::Status s = revokeToken(client, {"data", "nothing"}, out);
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("nothing"));
  EXPECT_EQ(out.str(), "");
}

TEST(RevokeTest, TheCommandLineParsesRevoke) {
  const char* argv[] = {"kubectl-servicetoken", "revoke", "airflow", "-n", "data"};
  auto parsed = parseArgs(5, argv);
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->args.command, Command::kRevoke);
  EXPECT_EQ(parsed->args.name, "airflow");
  EXPECT_EQ(parsed->args.ns, "data");
  const char* noName[] = {"kubectl-servicetoken", "revoke"};
  EXPECT_FALSE(parseArgs(2, noName).isOk());
}

}  // namespace
}  // namespace st::plugin
