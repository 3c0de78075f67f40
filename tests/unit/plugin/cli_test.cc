// parseArgs(): commands, global flags on either side of the command, and
// usage errors that name what is wrong; resolveNamespace(): -n wins over the
// context's namespace, which wins over "default".
#include "plugin/cli.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <vector>

namespace st::plugin {
namespace {

using ::testing::HasSubstr;

ctrl::StatusOr<ParsedArgs> parse(std::vector<const char*> args) {
  args.insert(args.begin(), "kubectl-servicetoken");
  return parseArgs(static_cast<int>(args.size()), args.data());
}

TEST(ParseArgs, StatusWithGlobalFlagsAfterTheCommand) {
  auto p = parse({"status", "airflow", "-n", "data", "--kubeconfig", "/k", "--context", "c"});
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  EXPECT_EQ(p->args.command, Command::kStatus);
  EXPECT_EQ(p->args.name, "airflow");
  EXPECT_EQ(p->args.ns, "data");
  EXPECT_EQ(p->args.kubeconfig, "/k");
  EXPECT_EQ(p->args.context, "c");
}

TEST(ParseArgs, GlobalFlagsBeforeTheCommand) {
  auto p = parse({"--namespace=data", "rotate", "airflow"});
  ASSERT_TRUE(p.isOk()) << p.status().toString();
  EXPECT_EQ(p->args.command, Command::kRotate);
  EXPECT_EQ(p->args.ns, "data");
}

TEST(ParseArgs, DownloadDefaultsAndFlags) {
  auto p = parse({"download", "airflow"});
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->args.command, Command::kDownload);
  EXPECT_EQ(p->args.outputDir, ".");
  EXPECT_FALSE(p->args.force);
  EXPECT_EQ(p->args.ns, "");

  p = parse({"download", "airflow", "--output-dir", "/tmp/x", "--force"});
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(p->args.outputDir, "/tmp/x");
  EXPECT_TRUE(p->args.force);
}

TEST(ParseArgs, UsageErrorsNameTheProblem) {
  EXPECT_THAT(parse({}).status().message(), HasSubstr("subcommand is required"));
  EXPECT_THAT(parse({"status"}).status().message(), HasSubstr("NAME is required"));
  EXPECT_THAT(parse({"download", "a", "--bogus"}).status().message(), HasSubstr("--bogus"));
  EXPECT_EQ(parse({"destroy", "a"}).status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(parse({"status", "a", "b"}).status().code(), ctrl::Code::kInvalidArgument);
}

TEST(ParseArgs, HelpIsHandledWithoutAnError) {
  auto p = parse({"--help"});
  ASSERT_TRUE(p.isOk());
  EXPECT_TRUE(p->exit);
  EXPECT_EQ(p->exitCode, 0);
  EXPECT_THAT(p->output, HasSubstr("download"));
  p = parse({"download", "--help"});
  ASSERT_TRUE(p.isOk());
  EXPECT_THAT(p->output, HasSubstr("--output-dir"));
}

TEST(ResolveNamespace, FlagThenContextThenDefault) {
  auto p = parse({"status", "a", "-n", "flag-ns"});
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(resolveNamespace(p->args, "team-a"), "flag-ns");
  EXPECT_EQ(resolveNamespace(p->args, ""), "flag-ns");
  p = parse({"status", "a"});
  ASSERT_TRUE(p.isOk());
  EXPECT_EQ(resolveNamespace(p->args, "team-a"), "team-a");
  EXPECT_EQ(resolveNamespace(p->args, ""), "default");
}

}  // namespace
}  // namespace st::plugin
