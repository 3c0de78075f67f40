// Last Used on the real plane: an accepted token's ServiceToken gets
// status.lastUsedTime under the verifier's own field manager, at most once
// a minute, never for unused tokens; the operator's later status writes
// keep it; `kubectl get` shows the Last Used column.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;

std::string lastUsed(OperatorHarness& h, const std::string& name) {
  ctrl::Json t = h.token(name);
  if (t.is_null() || !t.contains("status")) return "";
  return t["status"].value("lastUsedTime", "");
}

class LastUsedIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.start();
    verifier_.options().lastUsedWritesPerSecond = 0;
    verifier_.start();
  }
  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
};

TEST_F(LastUsedIntegration, AnAcceptedTokenRecordsItsLastUseOnceAMinute) {
  op_.apply(serviceUser("lu-used", "Lu Used"));
  op_.apply(serviceToken("lu-used", "lu-used", "Lu Used Token"));
  op_.apply(serviceToken("lu-idle", "lu-used", "Lu Idle Token"));
  const std::string token = activeToken(op_, "lu-used");
  activeToken(op_, "lu-idle");

  const std::string first = ctrl::formatRfc3339(op_.clock().wallNow());
  ASSERT_EQ(verifier_.status(token), 200);
  ASSERT_TRUE(eventually([&] { return lastUsed(op_, "lu-used") == first; }))
      << lastUsed(op_, "lu-used");
  // The verifier counts a write when its answer arrives, which may be after
  // the test has read the result from the API server.
  EXPECT_TRUE(eventually([&] { return verifier_.verifier().lastUsedWrites() >= 1; }));
  EXPECT_EQ(verifier_.verifier().lastUsedWrites(), 1u);
  // Its own field manager.
  ctrl::Json t = op_.token("lu-used");
  bool managed = false;
  for (const auto& f : t["metadata"]["managedFields"]) {
    managed |= f.value("manager", "") == "servicetoken-verifier" &&
               f.value("subresource", "") == "status" &&
               f.dump().find("lastUsedTime") != std::string::npos;
  }
  EXPECT_TRUE(managed) << t["metadata"]["managedFields"].dump();

  // More uses within the minute write nothing.
  op_.advance(std::chrono::seconds(30));
  for (int i = 0; i < 20; ++i) ASSERT_EQ(verifier_.status(token), 200);
  // A use a minute later is recorded, and it is the second write: a write
  // of a use within the minute would have come first (one queue) and made
  // this the third.
  op_.advance(std::chrono::seconds(31));
  const std::string second = ctrl::formatRfc3339(op_.clock().wallNow());
  ASSERT_EQ(verifier_.status(token), 200);
  ASSERT_TRUE(eventually([&] { return lastUsed(op_, "lu-used") == second; }));
  EXPECT_TRUE(eventually([&] { return verifier_.verifier().lastUsedWrites() >= 2; }));
  EXPECT_EQ(verifier_.verifier().lastUsedWrites(), 2u);
  EXPECT_EQ(lastUsed(op_, "lu-idle"), "") << "a token never used has no Last Used";

  // The Last Used column.
  ProcessResult r = op_.kubectl({"get", "servicetoken", "lu-used", "-n", "default"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("LAST USED"));
}

TEST_F(LastUsedIntegration, TheOperatorsStatusWritesKeepIt) {
  op_.apply(serviceUser("lu-keep", "Lu Keep"));
  op_.apply(serviceToken("lu-keep", "lu-keep", "Lu Keep Token"));
  const std::string token = activeToken(op_, "lu-keep");
  ASSERT_EQ(verifier_.status(token), 200);
  ASSERT_TRUE(eventually([&] { return !lastUsed(op_, "lu-keep").empty(); }));
  const std::string recorded = lastUsed(op_, "lu-keep");
  // A rotation: the operator writes status (new token id, revision).
  ASSERT_EQ(op_.kubectl({"annotate", "servicetoken", "lu-keep", "-n", "default",
                         "servicetoken.dev/rotate=keep-1"})
                .exitCode,
            0);
  activeToken(op_, "lu-keep", 2);
  EXPECT_EQ(lastUsed(op_, "lu-keep"), recorded);
}

}  // namespace
}  // namespace sttest
