// Two real servicetoken-operator replicas with leader election, under the
// chart's RBAC: the leader is killed with SIGKILL while 200 ServiceTokens are
// being minted; the standby takes the Lease over and finishes, and no token is
// minted twice (PRODUCT.md §3.1: exactly-once rests on compare-and-swap, not
// on holding the lease).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdio>
#include <iostream>
#include <map>
#include <sstream>

#include "api/base64.h"
#include "e2e_cluster.h"
#include "poll.h"

namespace sttest::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNs = "e2e-ha";
constexpr int kTokens = 200;
constexpr int kWorkers = 8;

// A client-side rate limit keeps the run long enough (about 2 writes per
// token) that the leader dies with most tokens still to mint.
const std::vector<std::string> kReplicaArgs{
    "--leader-elect",   "--workers", std::to_string(kWorkers), "--kube-api-qps", "20",
    "--kube-api-burst", "10"};

std::string tokenName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%03d", i);
  return buf;
}

// One ServiceUser and kTokens ServiceTokens with unique display names.
std::string manifests() {
  std::ostringstream y;
  y << "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata:\n  name: loader\n"
    << "  namespace: " << kNs << "\nspec:\n  displayName: Bulk Loader\n";
  for (int i = 1; i <= kTokens; ++i) {
    y << "---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata:\n"
      << "  name: token-" << tokenName(i) << "\n  namespace: " << kNs << "\nspec:\n"
      << "  displayName: Token " << tokenName(i) << "\n  type: Service\n"
      << "  serviceUserRef:\n    name: loader\n  expiration: 30d\n";
  }
  return y.str();
}

std::string leaseHolder(E2eCluster& c) {
  return c.jsonpath("lease", kLeaseName, kOperatorNamespace, ".spec.holderIdentity");
}

int activeCount(E2eCluster& c) {
  ProcessResult r =
      c.kubectl({"get", "servicetokens", "-n", kNs, "-o", "jsonpath={.items[*].status.phase}"});
  if (r.exitCode != 0) return -1;
  std::istringstream in(r.out);
  int n = 0;
  for (std::string phase; in >> phase;) n += phase == "Active" ? 1 : 0;
  return n;
}

// Waits until `op` has logged `msg` from its leader elector; returns its
// identity, or "" when it did not (or exited).
std::string waitForElectorLine(OperatorProcess& op, const std::string& msg) {
  std::string identity;
  eventually(
      [&] {
        auto lines = op.logLines();
        if (!recordsWithMessage(lines, msg).empty()) identity = leaderIdentity(lines);
        return !identity.empty() || !op.process->running();
      },
      60s);
  return identity;
}

TEST(LeaderFailover, TheStandbyTakesOverAndNoTokenIsMintedTwice) {
  E2eCluster c;
  ASSERT_EQ(c.error(), "");
  ASSERT_TRUE(c.ensureNamespace(kNs));

  // Replica A first, until it holds the Lease; then replica B on standby.
  OperatorProcess& a = c.startOperator("replica-a", kReplicaArgs);
  const std::string idA = waitForElectorLine(a, "Became leader");
  ASSERT_FALSE(idA.empty()) << a.logText();
  ASSERT_EQ(leaseHolder(c), idA);
  OperatorProcess& b = c.startOperator("replica-b", kReplicaArgs);
  const std::string idB = waitForElectorLine(b, "Observed new leader");
  ASSERT_FALSE(idB.empty()) << b.logText();
  ASSERT_NE(idA, idB);
  ASSERT_EQ(recordsWithMessage(b.logLines(), "Observed new leader").front().value("leader", ""),
            idA);

  // 200 tokens in one apply; kill the leader as soon as the first are Active.
  const auto applied = std::chrono::steady_clock::now();
  ASSERT_TRUE(c.apply(manifests()));
  int activeAtKill = 0;
  ASSERT_TRUE(eventually(
      [&] {
        activeAtKill = activeCount(c);
        return activeAtKill >= 3;
      },
      60s, 50ms))
      << a.logText();
  ASSERT_EQ(leaseHolder(c), idA);
  a.process->kill(SIGKILL);
  const auto killed = std::chrono::steady_clock::now();
  a.process->wait(10s);
  ASSERT_FALSE(a.process->running());
  ASSERT_LT(activeAtKill, kTokens)
      << "the leader died after the work was done; nothing to take over";

  // B takes the Lease over (15 s lease duration + a 2 s retry period).
  ASSERT_TRUE(eventually([&] { return leaseHolder(c) == idB; }, 60s, 100ms)) << b.logText();
  const double takeoverSeconds = secondsSince(killed);
  EXPECT_FALSE(recordsWithMessage(b.logLines(), "Became leader").empty());

  // Every token ends Active.
  int active = 0;
  EXPECT_TRUE(eventually(
      [&] {
        active = activeCount(c);
        return active == kTokens;
      },
      180s, 1s))
      << active << " of " << kTokens << " Active";
  const double totalSeconds = secondsSince(applied);
  std::cout << "[e2e] Active when the leader was killed: " << activeAtKill << "/" << kTokens
            << "; Lease takeover after " << takeoverSeconds << " s; all " << kTokens
            << " Active after " << totalSeconds << " s\n";
  RecordProperty("activeAtKill", activeAtKill);
  RecordProperty("takeoverMillis", static_cast<int>(takeoverSeconds * 1000));
  RecordProperty("totalMillis", static_cast<int>(totalSeconds * 1000));
  ASSERT_EQ(active, kTokens);

  // Exactly one mint per token: revision 1 everywhere.
  Json tokens = c.getJson({"servicetokens", "-n", kNs});
  ASSERT_TRUE(tokens.is_object());
  std::map<std::string, std::string> tokenIdOf;  // "ns/name" -> status.tokenId
  for (const Json& t : tokens["items"]) {
    const std::string name = t["metadata"]["name"];
    const Json status = t.value("status", Json::object());
    EXPECT_EQ(intField(status, "revision"), 1) << name;
    EXPECT_FALSE(status.value("tokenId", "").empty()) << name;
    tokenIdOf[std::string(kNs) + "/" + name] = status.value("tokenId", "");
  }
  ASSERT_EQ(tokenIdOf.size(), static_cast<size_t>(kTokens));

  Json secrets = c.getJson({"secrets", "-n", kNs, "-l", "servicetoken.dev/servicetoken"});
  ASSERT_TRUE(secrets.is_object());
  ASSERT_EQ(secrets["items"].size(), static_cast<size_t>(kTokens));
  std::vector<std::string> secretValues;
  for (const Json& s : secrets["items"]) {
    const std::string name = s["metadata"]["name"];
    const Json ann = s["metadata"].value("annotations", Json::object());
    EXPECT_EQ(ann.value("servicetoken.dev/revision", ""), "1") << name;
    EXPECT_EQ(ann.value("servicetoken.dev/token-id", ""), tokenIdOf[std::string(kNs) + "/" + name])
        << name;
    const std::string stored = s.value("data", Json::object()).value("token", "");
    ASSERT_FALSE(stored.empty()) << name;
    auto jwt = st::base64Decode(stored);
    ASSERT_TRUE(jwt.isOk()) << name;
    secretValues.push_back(stored);
    secretValues.push_back(*jwt);
    secretValues.push_back(jwt->substr(jwt->rfind('.') + 1));
  }

  // Across both replicas' logs: each "Minted token" names a distinct token,
  // at revision 1, with the token id that token holds now. A mint A made but
  // had no time to log (SIGKILL) is at most one per worker.
  std::map<std::string, int> mintsPerToken;
  std::map<std::string, int> mintsPerReplica;
  for (OperatorProcess* op : {&a, &b}) {
    const std::vector<LogLine> lines = op->logLines();
    EXPECT_THAT(authorizationFailures(lines), ::testing::IsEmpty()) << op->name;
    for (const Json& m : recordsWithMessage(lines, "Minted token")) {
      const std::string st = m.value("ServiceToken", "");
      ++mintsPerToken[st];
      ++mintsPerReplica[op->name];
      EXPECT_EQ(intField(m, "revision"), 1) << st;
      ASSERT_TRUE(tokenIdOf.count(st)) << "a mint for an unknown ServiceToken " << st;
      EXPECT_EQ(m.value("tokenId", ""), tokenIdOf[st])
          << st << " was minted by " << op->name << " with a token id it no longer holds";
    }
    const std::string text = op->logText();
    for (const std::string& v : secretValues) {
      ASSERT_EQ(text.find(v), std::string::npos) << "a token value is in " << op->name << "'s log";
    }
  }
  for (const auto& [st, n] : mintsPerToken)
    EXPECT_EQ(n, 1) << st << " was minted " << n << " times";
  EXPECT_LE(mintsPerToken.size(), static_cast<size_t>(kTokens));
  EXPECT_GE(mintsPerToken.size(), static_cast<size_t>(kTokens - kWorkers));
  EXPECT_GE(mintsPerReplica["replica-b"], 1);
  std::cout << "[e2e] mints logged: replica-a " << mintsPerReplica["replica-a"] << ", replica-b "
            << mintsPerReplica["replica-b"] << "\n";
}

}  // namespace
}  // namespace sttest::e2e
