// Chaos scenario 4: the network between the operator and kube-apiserver
// misbehaves. The operator talks to the API server through a fault proxy
// (tests/support/fault_proxy.h) that terminates TLS, so it can act on single
// requests: it goes half-open, resets connections, adds latency, loses the
// answers of writes the server executed (Secret creates, status writes), and
// answers 429/503 storms with Retry-After itself. A few hundred tokens
// converge meanwhile; each scenario ends with the judge (judge.h) reading the
// API server's audit log, and prints what was injected, what was found and
// how long the operator took to recover once the faults stopped.
//
// Randomness (the proxy's choices) is seeded: printed, settable with
// ST_CHAOS_SEED. The pauses while a fault is on are the fault schedule, not
// synchronisation; every wait for the operator is a condition with a deadline.
#include "fault_proxy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <yaml-cpp/yaml.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "e2e/operator/poll.h"
#include "judge.h"
#include "workload.h"

namespace sttest::chaos {
namespace {

using namespace std::chrono_literals;
using e2e::eventually;
using e2e::OperatorProcess;
using e2e::secondsSince;

std::string recoveredIn(double seconds) {
  std::ostringstream o;
  o << "all done " << seconds << " s after the faults stopped";
  return o.str();
}

std::string describe(const FaultCounts& f) {
  std::ostringstream o;
  o << "connections " << f.connections << ", forwarded " << f.forwarded << ", delayed " << f.delayed
    << ", silenced " << f.silenced << ", reset " << f.resets << ", dropped Secret-create answers "
    << f.droppedSecretCreates << ", dropped Secret-replace answers " << f.droppedSecretUpdates
    << ", dropped status-write answers " << f.droppedStatusWrites << ", 429s " << f.storm429
    << ", 503s " << f.storm503;
  return o.str();
}

// Asks the operator to rotate tokens [0, n) with request `value`.
void rotate(E2eCluster& c, const std::string& ns, int n, const std::string& value) {
  for (int i = 0; i < n; ++i) {
    ASSERT_EQ(c.kubectl({"annotate", "--overwrite", "servicetoken", "token-" + std::to_string(i),
                         "-n", ns, "servicetoken.dev/rotate=" + value})
                  .exitCode,
              0);
  }
}

bool rotated(E2eCluster& c, const std::string& ns, int n, const std::string& value) {
  for (int i = 0; i < n; ++i) {
    if (c.jsonpath("servicetoken", "token-" + std::to_string(i), ns, ".status.rotateRequest") !=
        value) {
      return false;
    }
  }
  return true;
}

// A namespace of tokens, and an operator that reaches the API server only
// through a fault proxy, with a ServiceAccount token of its own.
struct ProxiedRun {
  E2eCluster& c;
  std::string ns;
  int tokens;
  uint32_t rngSeed;
  std::unique_ptr<FaultProxy> proxy;
  OperatorProcess* op = nullptr;

  ProxiedRun(E2eCluster& cluster, std::string name, int n)
      : c(cluster), ns(std::move(name)), tokens(n), rngSeed(chaosSeed()) {}

  // Returns "" or what failed. `faults` configures the proxy before the
  // operator starts; `extraArgs` go to the operator.
  std::string start(const std::function<void(FaultProxy&)>& faults = {},
                    const std::vector<std::string>& extraArgs = {}) {
    if (!c.error().empty()) return c.error();
    if (!c.ensureNamespace(ns)) return "creating namespace " + ns;
    auto started =
        FaultProxy::start(c.plane().server(), c.plane().dir() + "/pki/ca.crt", c.dir(), rngSeed);
    if (!started.isOk()) return started.status().message();
    proxy = std::move(started).value();
    if (faults) faults(*proxy);
    const std::string direct = c.newOperatorKubeconfig("proxied-direct");
    if (direct.empty()) return "writing the operator's kubeconfig";
    // The same token, sent to the proxy, trusting the proxy's certificate.
    YAML::Node config = YAML::LoadFile(direct);
    config["clusters"][0]["cluster"]["server"] = proxy->url();
    config["clusters"][0]["cluster"]["certificate-authority"] = proxy->caFile();
    const std::string path = c.dir() + "/proxied.kubeconfig";
    {
      std::ofstream out(path);
      out << YAML::Dump(config) << "\n";
      if (!out) return "writing " + path;
    }
    chmod(path.c_str(), 0600);
    std::vector<std::string> args{"--workers", "8"};
    args.insert(args.end(), extraArgs.begin(), extraArgs.end());
    op = &c.startOperator("operator", args, path);
    ProcessResult r =
        c.kubectl({"apply", "--server-side", "-f", "-"}, tokenManifests(ns, tokens, "Proxy Chaos"));
    if (r.exitCode != 0) return "applying the tokens: " + r.err;
    return {};
  }

  int active() { return activeCount(c, ns); }

  // Waits (a safety deadline, not a threshold) until every token is Active
  // and tokens [0, rotations) carry rotate request `value`; returns the
  // seconds it took.
  double recover(int rotations = 0, const std::string& value = "") {
    const auto from = std::chrono::steady_clock::now();
    int n = 0;
    EXPECT_TRUE(eventually(
        [&] {
          n = active();
          return n == tokens && (rotations == 0 || rotated(c, ns, rotations, value));
        },
        240s, 250ms))
        << n << " of " << tokens << " Active";
    return secondsSince(from);
  }

  // Prints the figures (`timing`: how long recovery or convergence took)
  // and judges the namespace.
  void report(const std::string& scenario, const std::string& timing) {
    Verdict v = judge(c, ns, {{"the operator's log", op->logText()}});
    const FaultCounts f = proxy->counts();
    std::cout << "[chaos] " << scenario << " (seed " << rngSeed << "): injected: " << describe(f)
              << "\n[chaos] " << scenario << ": duplicates found " << v.duplicates
              << ", tokens lost " << v.lost << "; " << timing << "\n";
    expectSound(v, scenario);
  }
};

// The network goes half-open twice: every open connection (watches, the
// keep-alive pool) stops forwarding both ways for good, with its sockets
// left open, and new connections hang too until the partition heals.
// Rotations requested meanwhile reach the operator only through a watch, so
// it must find out its watches went silent: a watch that brings neither event
// nor bookmark for --watch-idle-timeout is dropped and resumed. The default
// (180 s, three of kube-apiserver's bookmark intervals) would make this
// scenario last minutes, so it runs with 15 s; requests stuck on a silent
// connection end at the client's 30 s request timeout.
TEST(ChaosNetwork, HalfOpenConnectionsAreAbandonedAndReplaced) {
  E2eCluster c(/*audit=*/true);
  ProxiedRun run(c, "chaos-half-open", 300);
  ASSERT_EQ(run.start({}, {"--watch-idle-timeout", "15"}), "");
  ASSERT_TRUE(eventually([&] { return run.active() >= 20; }, 120s, 100ms));
  const int atSilence = run.active();
  run.proxy->setSilent(true);
  std::this_thread::sleep_for(5s);  // the fault schedule: a partition of 5 s
  rotate(c, run.ns, 10, "during-silence");
  run.proxy->setSilent(false);
  const FaultCounts first = run.proxy->counts();
  const auto healed = std::chrono::steady_clock::now();
  run.recover();  // requests stuck on silent connections time out (30 s)
  const double allActive = secondsSince(healed);
  run.recover(10, "during-silence");  // only a live watch brings these
  const double recovery = secondsSince(healed);
  int silentWatches = 0;
  for (const Json& r : e2e::recordsWithMessage(run.op->logLines(), "Watch failed")) {
    silentWatches += r.value("error", "").find("half-open") != std::string::npos ? 1 : 0;
  }
  std::cout << "[chaos] half-open for 5 s with " << atSilence << "/" << run.tokens << " Active; "
            << first.silenced << " connections silenced; " << silentWatches
            << " watches dropped as silent; all Active " << allActive
            << " s after the network healed\n";
  EXPECT_GT(first.silenced, 0u);
  EXPECT_GE(silentWatches, 3) << "the three informers' watches went silent unnoticed";
  run.report("half-open", recoveredIn(recovery));
}

// Connections are reset (RST) at random — one request in twenty — and every
// open connection, watches included, is reset once a second for six seconds,
// while tokens converge and ten of them rotate.
TEST(ChaosNetwork, ConnectionsAreResetAtRandom) {
  E2eCluster c(/*audit=*/true);
  ProxiedRun run(c, "chaos-resets", 300);
  ASSERT_EQ(run.start([](FaultProxy& p) { p.setResetChance(0.05); }), "");
  ASSERT_TRUE(eventually([&] { return run.active() >= 20; }, 120s, 100ms));
  rotate(c, run.ns, 10, "during-resets");
  for (int i = 0; i < 6; ++i) {
    std::this_thread::sleep_for(1s);  // the fault schedule
    run.proxy->resetAll();
  }
  run.proxy->clearFaults();
  const double recovery = run.recover(10, "during-resets");
  EXPECT_GT(run.proxy->counts().resets, 0u);
  run.report("random resets", recoveredIn(recovery));
}

// Every request waits 200 ms in the proxy while all tokens converge and ten
// rotate.
TEST(ChaosNetwork, EveryRequestIsSlow) {
  E2eCluster c(/*audit=*/true);
  ProxiedRun run(c, "chaos-latency", 150);
  ASSERT_EQ(run.start([](FaultProxy& p) { p.setLatency(200ms); }), "");
  const double converged = run.recover();
  rotate(c, run.ns, 10, "while-slow");
  const double rotatedIn = run.recover(10, "while-slow");
  run.proxy->clearFaults();
  EXPECT_GT(run.proxy->counts().delayed, 0u);
  std::ostringstream timing;
  timing << "with 200 ms added to every request, all Active " << converged
         << " s after the tokens were applied, 10 rotations done " << rotatedIn
         << " s after they were asked for";
  run.report("latency", timing.str());
}

// The server executes a Secret create, a Secret replacement (a rotation's
// in-place token write) or a status write, and the operator never hears the
// answer: its connection is reset instead. One in three of each, while tokens
// converge and thirty rotate.
TEST(ChaosNetwork, AnswersOfExecutedWritesAreLost) {
  E2eCluster c(/*audit=*/true);
  ProxiedRun run(c, "chaos-lost-answers", 300);
  const auto loseAThird = [](FaultProxy& p) {
    p.setDropChance(DropKind::kSecretCreate, 0.33);
    p.setDropChance(DropKind::kSecretUpdate, 0.33);
    p.setDropChance(DropKind::kStatusWrite, 0.33);
  };
  ASSERT_EQ(run.start(loseAThird), "");
  // Answers keep getting lost until every token is Active, and then rotated.
  const double converged = run.recover();
  rotate(c, run.ns, 30, "answers-lost");
  const double rotatedIn = run.recover(30, "answers-lost");
  run.proxy->clearFaults();
  const FaultCounts f = run.proxy->counts();
  EXPECT_GT(f.droppedSecretCreates, 0u);
  EXPECT_GT(f.droppedSecretUpdates, 0u);
  EXPECT_GT(f.droppedStatusWrites, 0u);
  std::ostringstream timing;
  timing << "under the faults, all Active " << converged
         << " s after the tokens were applied, 30 rotations done " << rotatedIn
         << " s after they were asked for";
  run.report("lost answers", timing.str());
}

// The proxy answers half the requests itself, from the operator's start: first
// 429 with Retry-After: 1, then 503 with Retry-After: 2, for three seconds
// each, while tokens converge and ten rotate.
TEST(ChaosNetwork, StormsOf429And503WithRetryAfter) {
  E2eCluster c(/*audit=*/true);
  ProxiedRun run(c, "chaos-storms", 300);
  ASSERT_EQ(run.start([](FaultProxy& p) { p.setStorm(429, 1, 0.5); }), "");
  std::this_thread::sleep_for(3s);  // the fault schedule
  rotate(c, run.ns, 10, "during-storm");
  run.proxy->setStorm(503, 2, 0.5);
  std::this_thread::sleep_for(3s);
  const int atEnd = run.active();
  run.proxy->clearFaults();
  const double recovery = run.recover(10, "during-storm");
  const FaultCounts f = run.proxy->counts();
  EXPECT_GT(f.storm429, 0u);
  EXPECT_GT(f.storm503, 0u);
  std::cout << "[chaos] storms over with " << atEnd << "/" << run.tokens << " Active\n";
  run.report("429/503 storms", recoveredIn(recovery));
}

}  // namespace
}  // namespace sttest::chaos
