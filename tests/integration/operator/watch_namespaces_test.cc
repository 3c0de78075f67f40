// --watch-namespace with several namespaces, on a real kube-apiserver, with
// ONLY the chart's namespaced RBAC (helm template --set watchNamespaces={a,b}):
// the operator, authenticated as the chart's ServiceAccount, lists and
// watches each watched namespace on its own (it may not list across all
// namespaces: a cluster-wide informer would never sync), mints the tokens in
// both, and leaves a third namespace alone.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <memory>
#include <sstream>
#include <stop_token>
#include <string>
#include <thread>

#include "admin_client.h"
#include "api/codec.h"
#include "control_plane.h"
#include "mocks/eventually.h"
#include "operator/operator.h"
#include "subprocess.h"

namespace {

using sttest::ProcessResult;
using sttest::sharedControlPlane;
using ::testing::ElementsAre;

constexpr const char* kRelease = "stw";
constexpr const char* kOperatorNamespace = "st-watch-system";
constexpr const char* kServiceAccount = "stw-servicetoken-operator";
const std::vector<std::string> kWatched = {"st-watch-a", "st-watch-b"};
constexpr const char* kIgnored = "st-watch-c";

std::string chartDir() { return std::string(ST_SOURCE_DIR) + "/charts/servicetoken-operator"; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string userAndToken(const std::string& ns) {
  return "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata: {name: app, "
         "namespace: " +
         ns +
         "}\nspec:\n  displayName: App Service User\n---\n"
         "apiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata: {name: app, "
         "namespace: " +
         ns +
         "}\nspec:\n  displayName: App Service User\n  type: Service\n"
         "  serviceUserRef: {name: app}\n  expiration: 30d\n";
}

class WatchNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    sttest::ControlPlane& cp = sharedControlPlane();
    ctrl::Status crds = cp.installCrds();
    ASSERT_TRUE(crds.isOk()) << crds.toString();
    for (const std::string& ns :
         {std::string(kOperatorNamespace), kWatched[0], kWatched[1], std::string(kIgnored)}) {
      cp.kubectl({"create", "namespace", ns});
    }
    // The chart's ServiceAccount and RBAC for two watched namespaces.
    ProcessResult rendered = sttest::runProcess(
        {sttest::ControlPlane::helmPath(), "template", kRelease, chartDir(), "--namespace",
         kOperatorNamespace, "--set", "watchNamespaces={" + kWatched[0] + "," + kWatched[1] + "}",
         "--set", "metrics.secure=false", "--show-only", "templates/serviceaccount.yaml",
         "--show-only", "templates/rbac-operator.yaml"});
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    ProcessResult applied = cp.kubectl({"apply", "-f", "-"}, rendered.out);
    ASSERT_EQ(applied.exitCode, 0) << applied.err;

    // A client that is only that ServiceAccount.
    ProcessResult token =
        cp.kubectl({"create", "token", kServiceAccount, "-n", kOperatorNamespace, "--duration=1h"});
    ASSERT_EQ(token.exitCode, 0) << token.err;
    std::string bearer = token.out;
    while (!bearer.empty() && bearer.back() == '\n') bearer.pop_back();
    ctrl::RestConfig config;
    config.server = cp.server();
    config.caPem = readFile(cp.dir() + "/pki/ca.crt");
    config.bearerToken = [bearer] { return bearer; };
    client_ = sttest::clientFor(config);
    ASSERT_NE(client_, nullptr);
    admin_ = sttest::adminClient();
    ASSERT_NE(admin_, nullptr);
  }

  void TearDown() override {
    if (!op_) return;
    stop_.request_stop();
    thread_.join();
    EXPECT_TRUE(result_.isOk()) << result_.toString();
  }

  std::string phase(const std::string& ns) {
    auto t = admin_->get(st::serviceTokenResource(), ns, "app");
    if (!t.isOk() || !t->contains("status")) return "";
    return (*t)["status"].value("phase", "");
  }

  std::unique_ptr<ctrl::Client> client_;
  std::unique_ptr<ctrl::Client> admin_;
  std::unique_ptr<st::Operator> op_;
  std::stop_source stop_;
  std::thread thread_;
  ctrl::Status result_;
};

TEST_F(WatchNamespaces, MintsInEachWatchedNamespaceAndIgnoresTheOthers) {
  sttest::ControlPlane& cp = sharedControlPlane();
  // Present before the operator starts (initial lists) in a and the ignored
  // namespace; b's arrives later (its watch).
  for (const std::string& ns : {kWatched[0], std::string(kIgnored)}) {
    ProcessResult r = cp.kubectl({"apply", "-f", "-"}, userAndToken(ns));
    ASSERT_EQ(r.exitCode, 0) << r.err;
  }
  // The service account may not list across namespaces: the control for the
  // claim that the operator does not need to.
  auto clusterWide = client_->list(st::serviceTokenResource(), "", {});
  ASSERT_FALSE(clusterWide.isOk());
  EXPECT_EQ(clusterWide.status().code(), ctrl::Code::kForbidden);

  st::OperatorOptions options;
  options.ns = kOperatorNamespace;
  options.watchNamespaces = kWatched;
  options.metricsBindAddress = "0";
  options.healthProbeBindAddress = "0";
  options.workers = 2;
  st::OperatorDeps deps;
  deps.client = client_.get();
  auto op = st::Operator::create(options, deps);
  ASSERT_TRUE(op.isOk()) << op.status().toString();
  op_ = std::move(op).value();
  thread_ = std::thread([this] { result_ = op_->run(stop_.get_token()); });
  ASSERT_TRUE(sttest::eventually([&] { return op_->synced(); }, std::chrono::seconds(60)))
      << "the per-namespace informers did not sync";

  ProcessResult r = cp.kubectl({"apply", "-f", "-"}, userAndToken(kWatched[1]));
  ASSERT_EQ(r.exitCode, 0) << r.err;
  for (const std::string& ns : kWatched) {
    EXPECT_TRUE(sttest::eventually([&] { return phase(ns) == "Active"; }, std::chrono::seconds(60)))
        << ns << " is " << phase(ns);
    auto secret = admin_->get(ctrl::resources::secret(), ns, "app");
    EXPECT_TRUE(secret.isOk()) << ns << ": " << secret.status().toString();
  }
  // The ignored namespace: no status written, no Secret, nothing cached.
  EXPECT_EQ(phase(kIgnored), "");
  auto secret = admin_->get(ctrl::resources::secret(), kIgnored, "app");
  EXPECT_EQ(secret.status().code(), ctrl::Code::kNotFound);
  EXPECT_THAT(op_->tokens().keys(), ElementsAre("st-watch-a/app", "st-watch-b/app"));
  // Both namespaces' Secrets are in the one cache the reconciler reads.
  EXPECT_THAT(op_->secrets().keys(), ElementsAre("st-watch-a/app", "st-watch-b/app"));

  // A deletion in one namespace reaches the merged cache.
  r = cp.kubectl({"delete", "servicetoken", "app", "-n", kWatched[0], "--wait=false"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(sttest::eventually(
      [&] { return op_->tokens().keys() == std::vector<std::string>{"st-watch-b/app"}; }));
}

}  // namespace
