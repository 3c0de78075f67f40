// Chaos scenario 2: two replicas with leader election. The leader is killed
// (SIGKILL), or paused (SIGSTOP) past its lease and resumed. Each replica has
// a token of its own for the chart's ServiceAccount, so the audit log tells
// their requests apart (user.extra authentication.kubernetes.io/credential-id):
// a paused leader must not write once the other replica holds the Lease.
#include <gtest/gtest.h>
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <set>
#include <sstream>

#include "e2e/operator/poll.h"
#include "judge.h"
#include "workload.h"

namespace sttest::chaos {
namespace {

using namespace std::chrono_literals;
using e2e::eventually;
using e2e::kLeaseName;
using e2e::kOperatorNamespace;
using e2e::OperatorProcess;
using e2e::recordsWithMessage;
using e2e::secondsSince;

std::string manifests(const std::string& ns, int tokens) {
  std::ostringstream y;
  y << "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata:\n  name: loader\n"
    << "  namespace: " << ns << "\nspec:\n  displayName: Leader Chaos Loader\n";
  for (int i = 0; i < tokens; ++i) {
    y << "---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata:\n  name: token-"
      << i << "\n  namespace: " << ns << "\nspec:\n  displayName: Token " << i
      << "\n  type: Service\n  serviceUserRef: {name: loader}\n  expiration: 30d\n";
  }
  return y.str();
}

// A client-side rate limit keeps the run long enough that the leader is
// interrupted with most of the work still to do.
const std::vector<std::string> kReplicaArgs{
    "--leader-elect", "--workers", "8", "--kube-api-qps", "20", "--kube-api-burst", "10"};

struct Write {
  std::string received;  // requestReceivedTimestamp (RFC 3339, microseconds)
  std::string credential;
  std::string what;
};

// The operator's writes to Secrets and ServiceToken status, in log order.
std::vector<Write> operatorWrites(const std::string& auditLog) {
  std::vector<Write> out;
  std::ifstream in(auditLog);
  for (std::string line; std::getline(in, line);) {
    Json e = Json::parse(line, nullptr, false);
    if (!e.is_object() || e.value("stage", "") != "ResponseComplete") continue;
    const Json user = e.value("user", Json::object());
    if (user.value("username", "") != kOperatorUser) continue;
    const Json extra = user.value("extra", Json::object());
    const Json ids = extra.value("authentication.kubernetes.io/credential-id", Json::array());
    const Json ref = e.value("objectRef", Json::object());
    out.push_back({e.value("requestReceivedTimestamp", ""),
                   ids.empty() ? std::string() : ids[0].get<std::string>(),
                   e.value("verb", "") + " " + ref.value("resource", "") + "/" +
                       ref.value("subresource", "") + " " + ref.value("name", "")});
  }
  return out;
}

struct Pair {
  OperatorProcess* a = nullptr;
  OperatorProcess* b = nullptr;
};

// Starts replica A, waits until it leads, then replica B on standby.
Pair startPair(E2eCluster& c) {
  Pair p;
  p.a = &c.startOperator("replica-a", kReplicaArgs, c.newOperatorKubeconfig("replica-a"));
  EXPECT_TRUE(eventually(
      [&] { return !recordsWithMessage(p.a->logLines(), "Became leader").empty(); }, 60s));
  p.b = &c.startOperator("replica-b", kReplicaArgs, c.newOperatorKubeconfig("replica-b"));
  EXPECT_TRUE(eventually(
      [&] { return !recordsWithMessage(p.b->logLines(), "Observed new leader").empty(); }, 60s));
  return p;
}

TEST(ChaosLeader, TheLeaderKilledMidWorkHandsOverWithoutADuplicate) {
  E2eCluster c(/*audit=*/true);
  ASSERT_EQ(c.error(), "");
  const std::string ns = "chaos-leader-kill";
  constexpr int kTokens = 300;
  ASSERT_TRUE(c.ensureNamespace(ns));
  Pair p = startPair(c);
  ASSERT_TRUE(c.apply(manifests(ns, kTokens)));
  ASSERT_TRUE(eventually([&] { return activeCount(c, ns) >= 20; }, 120s, 100ms));
  const int atKill = activeCount(c, ns);
  p.a->process->kill(SIGKILL);
  p.a->process->wait(10s);
  const auto killed = std::chrono::steady_clock::now();
  EXPECT_TRUE(eventually([&] { return activeCount(c, ns) == kTokens; }, 240s, 1s));
  std::cout << "[chaos] leader SIGKILLed with " << atKill << "/" << kTokens
            << " Active; all Active " << secondsSince(killed) << " s later\n";
  expectSound(
      judge(c, ns, {{"replica-a's log", p.a->logText()}, {"replica-b's log", p.b->logText()}}),
      "leader SIGKILL");
}

TEST(ChaosLeader, ALeaderPausedPastItsLeaseNeverWritesAfterTheOtherTookOver) {
  E2eCluster c(/*audit=*/true);
  ASSERT_EQ(c.error(), "");
  const std::string ns = "chaos-leader-stop";
  constexpr int kTokens = 300;
  ASSERT_TRUE(c.ensureNamespace(ns));
  Pair p = startPair(c);
  ASSERT_TRUE(c.apply(manifests(ns, kTokens)));
  ASSERT_TRUE(eventually([&] { return activeCount(c, ns) >= 20; }, 120s, 100ms));
  const std::string holderA =
      c.jsonpath("lease", kLeaseName, kOperatorNamespace, ".spec.holderIdentity");
  p.a->process->kill(SIGSTOP);
  const auto paused = std::chrono::steady_clock::now();
  // B takes the Lease once A's has run out (15 s).
  std::string holder;
  ASSERT_TRUE(eventually(
      [&] {
        holder = c.jsonpath("lease", kLeaseName, kOperatorNamespace, ".spec.holderIdentity");
        return !holder.empty() && holder != holderA;
      },
      90s, 200ms));
  const std::string takenOver =
      c.jsonpath("lease", kLeaseName, kOperatorNamespace, ".spec.acquireTime");
  const double takeover = secondsSince(paused);
  p.a->process->kill(SIGCONT);
  // A finds out it lost the lease and exits (exit and be restarted).
  EXPECT_TRUE(eventually([&] { return !p.a->process->running(); }, 60s));
  EXPECT_TRUE(eventually([&] { return activeCount(c, ns) == kTokens; }, 240s, 1s));

  // Whose writes are whose: A wrote first, alone.
  std::vector<Write> writes = operatorWrites(c.plane().auditLogPath());
  ASSERT_FALSE(writes.empty());
  const std::string credentialA = writes.front().credential;
  ASSERT_FALSE(credentialA.empty()) << "the audit log names no credential id";
  int late = 0, byA = 0, byB = 0;
  for (const Write& w : writes) {
    (w.credential == credentialA ? byA : byB) += 1;
    if (w.credential == credentialA && w.received >= takenOver) {
      ++late;
      std::cout << "[chaos]   replica A wrote after the takeover: " << w.what << " at "
                << w.received << "\n";
    }
  }
  std::cout << "[chaos] leader SIGSTOPped; replica B took the Lease after " << takeover
            << " s (acquireTime " << takenOver << "); writes by A " << byA << ", by B " << byB
            << ", by A after the takeover " << late << "\n";
  EXPECT_EQ(late, 0) << "a paused leader wrote after another replica took over";
  EXPECT_GT(byB, 0);
  expectSound(
      judge(c, ns, {{"replica-a's log", p.a->logText()}, {"replica-b's log", p.b->logText()}}),
      "leader SIGSTOP");
}

}  // namespace
}  // namespace sttest::chaos
