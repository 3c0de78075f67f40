// Running and supervising child processes from tests.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace sttest {

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
