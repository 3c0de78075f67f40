// The test harness's process runner: what a child sees, and that the code a
// forked child runs before exec never allocates (a multithreaded parent may
// hold the allocator's lock at the fork, so an allocation there can hang the
// child forever: CI once lost a kubectl to exactly that under ASan).
#include "subprocess.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <new>

namespace {

// Set in a forked child: any operator new from then on ends the child with 99.
std::atomic<bool> gAllocationForbidden{false};

}  // namespace

void* operator new(std::size_t size) {
  if (gAllocationForbidden.load()) _exit(99);
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// The matching deletes: malloc'd memory goes back to free (GCC cannot tell
// that this pair replaces the global one).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace sttest {
namespace {

using std::chrono::seconds;

TEST(RunProcess, PassesStdinAndReturnsOutputAndExitCode) {
  ProcessResult r = runProcess({"sh", "-c", "cat; echo oops >&2; exit 3"}, "hello");
  EXPECT_EQ(r.exitCode, 3);
  EXPECT_EQ(r.out, "hello");
  EXPECT_EQ(r.err, "oops\n");
}

TEST(RunProcess, EnvEntriesOverrideTheInheritedEnvironment) {
  ASSERT_EQ(setenv("ST_SUBPROCESS_KEPT", "inherited", 1), 0);
  ASSERT_EQ(setenv("ST_SUBPROCESS_SET", "parent", 1), 0);
  ProcessResult r = runProcess({"sh", "-c", "echo \"$ST_SUBPROCESS_KEPT $ST_SUBPROCESS_SET\""}, "",
                               seconds(10), {{"ST_SUBPROCESS_SET", "child"}});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "inherited child\n");
  unsetenv("ST_SUBPROCESS_KEPT");
  unsetenv("ST_SUBPROCESS_SET");
}

TEST(RunProcess, TheProgramIsFoundInThePathGivenInEnv) {
  char dir[] = "/tmp/st-subprocess-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  const std::string program = std::string(dir) + "/st-hello";
  {
    std::ofstream f(program);
    f << "#!/bin/sh\necho \"hello from $0\"\n";
  }
  ASSERT_EQ(chmod(program.c_str(), 0700), 0);
  ProcessResult r = runProcess({"st-hello"}, "", seconds(10),
                               {{"PATH", std::string("/nonexistent:") + dir + ":/bin:/usr/bin"}});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "hello from " + program + "\n");
  // Not on the inherited PATH.
  EXPECT_EQ(runProcess({"st-hello"}).exitCode, 127);
  // A name with a slash is taken as it is.
  EXPECT_EQ(runProcess({program}).out, "hello from " + program + "\n");
  std::filesystem::remove_all(dir);
}

TEST(RunProcess, AMissingProgramExitsWith127) {
  EXPECT_EQ(runProcess({"st-no-such-program-anywhere"}).exitCode, 127);
}

TEST(RunProcess, AChildThatOutlivesItsTimeoutIsKilled) {
  ProcessResult r = runProcess({"sleep", "30"}, "", seconds(1));
  EXPECT_EQ(r.exitCode, -1);
  EXPECT_NE(r.err.find("killed after timeout"), std::string::npos);
}

TEST(ExecPlan, ExecsWithoutAllocatingInTheChild) {
  const ExecPlan plan({"sh", "-c", "exit \"$ST_PLAN_CODE\""}, {{"ST_PLAN_CODE", "7"}});
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gAllocationForbidden.store(true);
    plan.exec();
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 7) << "99 means the child allocated before exec";
}

TEST(ExecPlan, TheAllocationGuardWorks) {
  // The guard above must be able to fail: an allocation after the flag is
  // set ends the child with 99.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    gAllocationForbidden.store(true);
    auto* p = new std::string(64, 'x');
    _exit(p->empty() ? 1 : 0);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 99);
}

}  // namespace
}  // namespace sttest
