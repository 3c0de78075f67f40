// The plugin's default namespace comes from the kubeconfig context, as with
// kubectl: -n wins, then the context's namespace, then "default".
#include "plugin/kubeconfig_namespace.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "temp_dir.h"

namespace st::plugin {
namespace {

constexpr const char* kConfig = R"(apiVersion: v1
kind: Config
current-context: dev
contexts:
- name: dev
  context: {cluster: c, user: u, namespace: team-a}
- name: bare
  context: {cluster: c, user: u}
clusters: []
users: []
)";

TEST(ContextNamespace, CurrentAndExplicitContexts) {
  EXPECT_EQ(contextNamespace(kConfig, "").value(), "team-a");
  EXPECT_EQ(contextNamespace(kConfig, "dev").value(), "team-a");
  EXPECT_EQ(contextNamespace(kConfig, "bare").value(), "");
  EXPECT_EQ(contextNamespace(kConfig, "other").status().code(), ctrl::Code::kNotFound);
  EXPECT_EQ(contextNamespace("apiVersion: v1\n", "").value(), "");
}

TEST(ContextNamespace, MalformedYamlIsAnErrorNotACrash) {
  EXPECT_EQ(contextNamespace("{{{:", "").status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(contextNamespace("- a\n- b\n", "").status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(
      contextNamespace("contexts: [{name: dev, context: [1]}]\ncurrent-context: dev\n", "").value(),
      "");
}

TEST(ResolveNamespace, FlagThenContextThenDefault) {
  sttest::TempDir dir;
  const std::string path = dir.file("config");
  { std::ofstream(path) << kConfig; }
  EXPECT_EQ(resolveNamespace("flag-ns", path, ""), "flag-ns");
  EXPECT_EQ(resolveNamespace("", path, ""), "team-a");
  EXPECT_EQ(resolveNamespace("", path, "bare"), "default");
  EXPECT_EQ(resolveNamespace("", dir.file("missing"), ""), "default");
}

TEST(KubeconfigPath, ExplicitPathWins) { EXPECT_EQ(kubeconfigPath("/etc/k").value(), "/etc/k"); }

}  // namespace
}  // namespace st::plugin
