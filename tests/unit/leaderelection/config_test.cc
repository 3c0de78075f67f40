// Configuration checks, identities and MicroTime formatting.
#include <gtest/gtest.h>

#include <regex>

#include "controller/leader_elector.h"
#include "controller/micro_time.h"
#include "fake_clock.h"
#include "mocks/fake_lease_client.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;

ctrl::LeaderElectionConfig valid() {
  ctrl::LeaderElectionConfig c;
  c.leaseNamespace = "ns";
  c.leaseName = "lease";
  return c;
}

TEST(LeaderElectionConfigTest, DefaultsAreClientGos) {
  auto c = valid();
  EXPECT_EQ(c.leaseDuration, 15s);
  EXPECT_EQ(c.renewDeadline, 10s);
  EXPECT_EQ(c.retryPeriod, 2s);
  EXPECT_TRUE(c.releaseOnCancel);
  EXPECT_TRUE(ctrl::validateLeaderElectionConfig(c).isOk());
}

TEST(LeaderElectionConfigTest, RejectsInconsistentDurations) {
  struct Case {
    const char* what;
    std::function<void(ctrl::LeaderElectionConfig&)> change;
  };
  const Case cases[] = {
      {"no name", [](auto& c) { c.leaseName = ""; }},
      {"no namespace", [](auto& c) { c.leaseNamespace = ""; }},
      {"lease not above renew", [](auto& c) { c.renewDeadline = 15s; }},
      {"renew not above 1.2 retry", [](auto& c) { c.retryPeriod = 9s; }},
      {"fractional lease", [](auto& c) { c.leaseDuration = 15500ms; }},
      {"zero retry", [](auto& c) { c.retryPeriod = 0s; }},
      {"negative jitter", [](auto& c) { c.jitterFactor = -1; }},
  };
  for (const auto& tc : cases) {
    auto c = valid();
    tc.change(c);
    EXPECT_EQ(ctrl::validateLeaderElectionConfig(c).code(), ctrl::Code::kInvalidArgument)
        << tc.what;
    FakeClock clock;
    FakeLeaseClient client;
    EXPECT_FALSE(ctrl::LeaderElector::create(client, clock, c).isOk()) << tc.what;
  }
  auto shortOnes = valid();  // the integration tests' settings
  shortOnes.leaseDuration = 3s;
  shortOnes.renewDeadline = 2s;
  shortOnes.retryPeriod = 500ms;
  EXPECT_TRUE(ctrl::validateLeaderElectionConfig(shortOnes).isOk());
}

TEST(LeaderElectionConfigTest, DefaultIdentityIsHostnameAndUuid) {
  const std::regex shape(
      "^.+_[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$");
  const std::string one = ctrl::defaultLeaderIdentity();
  EXPECT_TRUE(std::regex_match(one, shape)) << one;
  EXPECT_NE(one, ctrl::defaultLeaderIdentity());

  FakeClock clock;
  FakeLeaseClient client;
  auto elector = ctrl::LeaderElector::create(client, clock, valid());
  ASSERT_TRUE(elector.isOk());
  EXPECT_TRUE(std::regex_match((*elector)->identity(), shape));
  EXPECT_EQ((*elector)->name(), "leader-elector/lease");
  EXPECT_FALSE((*elector)->isLeader());
}

TEST(MicroTimeTest, FormatsUtcWithMicroseconds) {
  const ctrl::WallTime t =
      std::chrono::sys_days{std::chrono::year{2026} / 3 / 4} + 5h + 6min + 7s + 123456789ns;
  EXPECT_EQ(ctrl::formatMicroTime(t), "2026-03-04T05:06:07.123456Z");
  EXPECT_EQ(ctrl::formatMicroTime(ctrl::WallTime{}), "1970-01-01T00:00:00.000000Z");
  EXPECT_EQ(ctrl::formatMicroTime(ctrl::WallTime{} - 1us), "1969-12-31T23:59:59.999999Z");
}

}  // namespace
}  // namespace sttest
