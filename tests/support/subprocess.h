// Running and supervising child processes from tests.
#pragma once

#include <signal.h>

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sttest {

// Everything a forked child needs to exec, prepared before fork(). In a
// multithreaded parent the child may only make async-signal-safe calls until
// it execs: another thread may hold the allocator's lock at the moment of the
// fork (ASan's allocator is not made fork-safe the way glibc's is), so the
// child must not allocate. The PATH search happens here, in the parent;
// exec() is a bare execve.
class ExecPlan {
 public:
  // argv[0] is looked up in PATH (the one in `env`, else the inherited one)
  // unless it contains a '/'; `env` entries override the inherited
  // environment (captured now, in the parent).
  explicit ExecPlan(std::vector<std::string> argv,
                    const std::map<std::string, std::string>& env = {});
  ExecPlan(const ExecPlan&) = delete;
  ExecPlan& operator=(const ExecPlan&) = delete;

  // In the child: have `parentDeathSignal` sent to the child when the
  // parent dies, then exec, or _exit(127) when that fails. Async-signal-safe.
  [[noreturn]] void exec(int parentDeathSignal = SIGKILL) const;

 private:
  std::vector<std::string> argv_, env_;
  std::string program_;  // argv_[0] resolved; "" when not found
  std::vector<char*> argvPtrs_, envPtrs_;
};

struct ProcessResult {
  int exitCode = -1;  // -1 when it could not be started or was killed by a signal
  std::string out;
  std::string err;
};

// Runs argv[0] (PATH lookup) with `input` on stdin, waits up to `timeout`
// (then kills it), and returns its exit code and output. `env` entries are set
// on top of the inherited environment.
ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input = "",
                         std::chrono::seconds timeout = std::chrono::seconds(120),
                         const std::map<std::string, std::string>& env = {});

// A long-running child (the operator under e2e). Its stdout and stderr go to
// `logFile`. It receives SIGKILL when the test process dies.
class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv, const std::string& logFile,
               const std::map<std::string, std::string>& env = {});
  ~ChildProcess();  // SIGTERM, then SIGKILL after 10 s
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  int pid() const { return pid_; }
  bool running();
  // Sends `signal`; returns immediately.
  void kill(int signal);
  // Waits up to `timeout` for exit; returns the exit code, or -1 on timeout
  // or death by signal (see exitSignal()).
  int wait(std::chrono::milliseconds timeout);
  int exitSignal() const { return exitSignal_; }

 private:
  int pid_ = -1;
  bool exited_ = false;
  int exitCode_ = -1;
  int exitSignal_ = 0;
};

}  // namespace sttest
