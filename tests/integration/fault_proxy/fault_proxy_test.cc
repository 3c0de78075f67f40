// The chaos tier's fault proxy (tests/support/fault_proxy.h) in front of the
// real kube-apiserver, driven by kubectl with a ServiceAccount token: it
// forwards, streams a watch as events happen, and does exactly the fault it
// is asked for — the API server executes a create whose answer the client
// never gets, a silenced connection answers nothing and stays open, a reset
// and a storm reach the client — and counts them.
#include "fault_proxy.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "control_plane.h"
#include "mocks/eventually.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_identity.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

class FaultProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(makeServiceAccountIdentity(plane_, dir_.path(), "default", "proxy-tester", &id_));
    ProcessResult r =
        plane_.kubectl({"create", "clusterrolebinding", "proxy-tester",
                        "--clusterrole=cluster-admin", "--serviceaccount=default:proxy-tester"});
    ASSERT_TRUE(r.exitCode == 0 || r.err.find("already exists") != std::string::npos) << r.err;
    auto started = FaultProxy::start(plane_.server(), plane_.dir() + "/pki/ca.crt", dir_.path(),
                                     /*seed=*/7);
    ASSERT_TRUE(started.isOk()) << started.status().toString();
    proxy_ = std::move(started).value();
    kubeconfig_ = dir_.path() + "/proxied.kubeconfig";
    std::ofstream out(kubeconfig_);
    out << "apiVersion: v1\nkind: Config\nclusters:\n- name: proxy\n  cluster:\n    server: "
        << proxy_->url() << "\n    certificate-authority: " << proxy_->caFile()
        << "\nusers:\n- name: sa\n  user:\n    tokenFile: " << id_.tokenFile
        << "\ncontexts:\n- name: proxy\n  context:\n    cluster: proxy\n    user: sa\n"
        << "current-context: proxy\n";
    out.close();
    chmod(kubeconfig_.c_str(), 0600);
  }

  // kubectl through the proxy.
  ProcessResult viaProxy(std::vector<std::string> args, std::chrono::seconds timeout = 60s) {
    args.insert(args.begin(), {ControlPlane::kubectlPath(), "--kubeconfig", kubeconfig_});
    return runProcess(args, "", timeout);
  }
  std::vector<std::string> viaProxyArgv(std::vector<std::string> args) {
    args.insert(args.begin(), {ControlPlane::kubectlPath(), "--kubeconfig", kubeconfig_});
    return args;
  }

  ControlPlane& plane_ = sharedControlPlane();
  TempDir dir_;
  TestIdentity id_;
  std::unique_ptr<FaultProxy> proxy_;
  std::string kubeconfig_;
};

TEST_F(FaultProxyTest, ForwardsStreamsAWatchAndLosesOnlyTheAnswerOfACreate) {
  ProcessResult r = viaProxy({"get", "namespace", "default", "-o", "name"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "namespace/default\n");

  // A watch through the proxy shows a ConfigMap created after its list,
  // while the watch is still open: the stream is passed on as it comes.
  ASSERT_EQ(plane_.kubectl({"create", "configmap", "listed", "-n", "default"}).exitCode, 0);
  const std::string watchLog = dir_.path() + "/watch.log";
  ChildProcess watch(viaProxyArgv({"get", "configmaps", "-n", "default", "--watch", "-o", "name"}),
                     watchLog);
  ASSERT_TRUE(eventually(
      [&] { return readFile(watchLog).find("configmap/listed") != std::string::npos; }, 30s));
  ASSERT_EQ(plane_.kubectl({"create", "configmap", "seen-live", "-n", "default"}).exitCode, 0);
  EXPECT_TRUE(eventually(
      [&] { return readFile(watchLog).find("configmap/seen-live") != std::string::npos; }, 30s))
      << readFile(watchLog);
  EXPECT_TRUE(watch.running());

  // The create is executed; its answer is replaced by a reset.
  proxy_->setDropChance(DropKind::kSecretCreate, 1.0);
  r = viaProxy(
      {"create", "secret", "generic", "answer-lost", "-n", "default", "--from-literal=k=v"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_EQ(proxy_->counts().droppedSecretCreates, 1u);
  EXPECT_EQ(plane_.kubectl({"get", "secret", "answer-lost", "-n", "default"}).exitCode, 0)
      << "the API server did not execute the create whose answer was lost";
  // Other requests pass.
  r = viaProxy({"get", "secret", "answer-lost", "-n", "default", "-o", "name"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST_F(FaultProxyTest, SilenceResetsAndStormsReachTheClient) {
  ASSERT_EQ(viaProxy({"get", "namespace", "default"}).exitCode, 0);

  // Half-open: no answer, the connection stays open; new connections work
  // again once the silence ends.
  proxy_->setSilent(true);
  ProcessResult r = viaProxy({"get", "namespace", "default", "--request-timeout=2s"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_GE(proxy_->counts().silenced, 1u);
  EXPECT_GE(proxy_->openConnections(), 1u) << "a silenced connection was closed";
  proxy_->setSilent(false);
  r = viaProxy({"get", "namespace", "default"});
  EXPECT_EQ(r.exitCode, 0) << r.err;

  // Every request reset.
  proxy_->setResetChance(1.0);
  r = viaProxy({"get", "namespace", "default", "--request-timeout=5s"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_GE(proxy_->counts().resets, 1u);
  proxy_->clearFaults();

  // Storms: the proxy answers itself, with Retry-After.
  const uint64_t forwarded = proxy_->counts().forwarded;
  proxy_->setStorm(503, 0, 1.0);
  r = viaProxy({"get", "namespace", "default"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_GE(proxy_->counts().storm503, 1u);
  proxy_->setStorm(429, 0, 1.0);
  r = viaProxy({"get", "namespace", "default"});
  EXPECT_NE(r.exitCode, 0);
  EXPECT_GE(proxy_->counts().storm429, 1u);
  EXPECT_EQ(proxy_->counts().forwarded, forwarded) << "a stormed request reached the server";
  proxy_->clearFaults();
  EXPECT_EQ(viaProxy({"get", "namespace", "default"}).exitCode, 0);
}

}  // namespace
}  // namespace sttest
