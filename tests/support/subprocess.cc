#include "subprocess.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>

namespace sttest {
namespace {

using Clock = std::chrono::steady_clock;

void decodeWait(int status, int& code, int& sig) {
  if (WIFEXITED(status)) {
    code = WEXITSTATUS(status);
    sig = 0;
  } else if (WIFSIGNALED(status)) {
    code = -1;
    sig = WTERMSIG(status);
  }
}

std::vector<char*> pointersTo(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// `file` as execvp() would find it: itself when it names a path, else the
// first executable PATH entry holding it ("" when none does).
std::string resolveProgram(const std::string& file, const std::vector<std::string>& env) {
  if (file.empty() || file.find('/') != std::string::npos) return file;
  std::string path = "/usr/local/bin:/usr/bin:/bin";
  for (const auto& entry : env) {
    if (entry.starts_with("PATH=")) path = entry.substr(5);
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find(':', start);
    if (end == std::string::npos) end = path.size();
    std::string dir = path.substr(start, end - start);
    std::string candidate = (dir.empty() ? std::string(".") : dir) + "/" + file;
    if (access(candidate.c_str(), X_OK) == 0) return candidate;
    start = end + 1;
  }
  return "";
}

}  // namespace

ExecPlan::ExecPlan(std::vector<std::string> argv, const std::map<std::string, std::string>& env)
    : argv_(std::move(argv)) {
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    std::string entry(*e);
    const std::string key = entry.substr(0, entry.find('='));
    if (!env.contains(key)) env_.push_back(std::move(entry));
  }
  for (const auto& [k, v] : env) env_.push_back(k + "=" + v);
  if (!argv_.empty()) program_ = resolveProgram(argv_[0], env_);
  argvPtrs_ = pointersTo(argv_);
  envPtrs_ = pointersTo(env_);
}

void ExecPlan::exec(int parentDeathSignal) const {
  prctl(PR_SET_PDEATHSIG, parentDeathSignal);
  // execve is async-signal-safe; the PATH search was done in the parent.
  if (!program_.empty()) execve(program_.c_str(), argvPtrs_.data(), envPtrs_.data());
  _exit(127);
}

ProcessResult runProcess(const std::vector<std::string>& argv, const std::string& input,
                         std::chrono::seconds timeout,
                         const std::map<std::string, std::string>& env) {
  ProcessResult result;
  const ExecPlan plan(argv, env);
  int in[2], out[2], err[2];
  if (pipe2(in, O_CLOEXEC) != 0 || pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
    result.err = "pipe failed";
    return result;
  }
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    dup2(err[1], 2);
    plan.exec();
  }
  close(in[0]);
  close(out[1]);
  close(err[1]);
  if (pid < 0) {
    close(in[1]);
    close(out[0]);
    close(err[0]);
    result.err = "fork failed";
    return result;
  }
  // Feed stdin and drain stdout/stderr together so neither side can block.
  size_t written = 0;
  int inFd = in[1];
  if (input.empty()) {
    close(inFd);
    inFd = -1;
  } else {
    fcntl(inFd, F_SETFL, O_NONBLOCK);
  }
  const auto deadline = Clock::now() + timeout;
  bool outOpen = true, errOpen = true, timedOut = false;
  std::array<char, 65536> buf;
  while (outOpen || errOpen || inFd >= 0) {
    std::vector<pollfd> fds;
    if (outOpen) fds.push_back({out[0], POLLIN, 0});
    if (errOpen) fds.push_back({err[0], POLLIN, 0});
    if (inFd >= 0) fds.push_back({inFd, POLLOUT, 0});
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    int n = poll(fds.data(), fds.size(), static_cast<int>(left.count()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) continue;
    for (const auto& p : fds) {
      if (p.revents == 0) continue;
      if (p.fd == inFd) {
        ssize_t w = write(inFd, input.data() + written, input.size() - written);
        if (w > 0) written += static_cast<size_t>(w);
        if (w < 0 && errno != EAGAIN) written = input.size();
        if (written >= input.size()) {
          close(inFd);
          inFd = -1;
        }
        continue;
      }
      ssize_t r = read(p.fd, buf.data(), buf.size());
      if (r > 0) {
        (p.fd == out[0] ? result.out : result.err).append(buf.data(), static_cast<size_t>(r));
      } else if (r == 0 || errno != EINTR) {
        (p.fd == out[0] ? outOpen : errOpen) = false;
      }
    }
  }
  if (inFd >= 0) close(inFd);
  close(out[0]);
  close(err[0]);
  if (timedOut) kill(pid, SIGKILL);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  int sig = 0;
  decodeWait(status, result.exitCode, sig);
  if (timedOut) {
    result.exitCode = -1;
    result.err += "\n[runProcess: killed after timeout]";
  }
  return result;
}

ChildProcess::ChildProcess(const std::vector<std::string>& argv, const std::string& logFile,
                           const std::map<std::string, std::string>& env) {
  const ExecPlan plan(argv, env);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = open(logFile.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    int devnull = open("/dev/null", O_RDONLY);
    if (devnull >= 0) dup2(devnull, 0);
    plan.exec();
  }
}

ChildProcess::~ChildProcess() {
  if (pid_ <= 0 || exited_) return;
  ::kill(pid_, SIGTERM);
  if (wait(std::chrono::seconds(10)) == -1 && !exited_) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

bool ChildProcess::running() {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  pid_t r = waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    exited_ = true;
    decodeWait(status, exitCode_, exitSignal_);
    return false;
  }
  return true;
}

void ChildProcess::kill(int signal) {
  if (pid_ > 0 && !exited_) ::kill(pid_, signal);
}

int ChildProcess::wait(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  // waitpid has no timeout; poll its non-blocking form with a short back-off.
  auto pause = std::chrono::milliseconds(1);
  while (running()) {
    if (Clock::now() >= deadline) return -1;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(50));
  }
  return exitCode_;
}

}  // namespace sttest
