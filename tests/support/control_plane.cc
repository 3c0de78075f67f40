#include "control_plane.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <sstream>
#include <thread>

namespace sttest {
namespace {

namespace fs = std::filesystem;
using SteadyClock = std::chrono::steady_clock;

std::string scriptPath(const char* name) { return std::string(ST_SOURCE_DIR) + "/hack/" + name; }

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
  return s;
}

// The asset paths hack/build-binaries.sh resolves (honouring KUBEBUILDER_ASSETS
// and TEST_ASSET_* overrides), read once per process.
const std::map<std::string, std::string>& assets() {
  static std::once_flag once;
  static std::map<std::string, std::string> paths;
  std::call_once(once, [] {
    ProcessResult r = runProcess({"bash", scriptPath("build-binaries.sh"), "env"}, "",
                                 std::chrono::seconds(1800));
    if (r.exitCode != 0) {
      std::cerr << "hack/build-binaries.sh env failed:\n" << r.err << std::endl;
      std::abort();
    }
    std::istringstream lines(r.out);
    for (std::string line; std::getline(lines, line);) {
      const std::string prefix = "export ";
      if (line.rfind(prefix, 0) != 0) continue;
      auto eq = line.find('=');
      paths[line.substr(prefix.size(), eq - prefix.size())] = line.substr(eq + 1);
    }
  });
  return paths;
}

// Removes the directories of planes whose script died without cleaning up
// (killed together with its whole process group, so no trap ran). A plane's
// directory holds the script's pid; a live pid means the plane is in use.
void removeAbandonedPlanes() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(fs::temp_directory_path(), ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("st-plane-", 0) != 0 || name.ends_with(".log")) continue;
    const std::string pidText = readFile(entry.path().string() + "/pid");
    const int pid = pidText.empty() ? 0 : std::atoi(pidText.c_str());
    if (pid > 0 && kill(pid, 0) == 0) continue;
    // Without a pid file the plane may still be starting: leave young ones.
    if (pid == 0) {
      auto age = fs::file_time_type::clock::now() - fs::last_write_time(entry.path(), ec);
      if (ec || age < std::chrono::minutes(10)) continue;
    }
    fs::remove_all(entry.path(), ec);
    fs::remove(entry.path().string() + ".log", ec);
  }
}

}  // namespace

ctrl::StatusOr<std::unique_ptr<ControlPlane>> ControlPlane::start(
    const ControlPlaneOptions& options) {
  assets();  // build (or find) the binaries before the clock starts
  removeAbandonedPlanes();
  std::string tmpl = (fs::temp_directory_path() / "st-plane-XXXXXX").string();
  if (mkdtemp(tmpl.data()) == nullptr) {
    return ctrl::Status(ctrl::Code::kInternal, "mkdtemp failed");
  }
  std::unique_ptr<ControlPlane> plane(new ControlPlane());
  plane->dir_ = tmpl;
  std::string extra;
  for (const auto& a : options.apiserverArgs) extra += a + " ";
  const std::string logFile = tmpl + ".log";

  std::map<std::string, std::string> env{{"CONTROL_PLANE_APISERVER_ARGS", extra}};
  if (!options.withControllerManager) env["CONTROL_PLANE_NO_KCM"] = "1";
  if (options.audit) env["CONTROL_PLANE_AUDIT"] = "1";
  if (!options.tokenWebhookUrl.empty()) {
    env["CONTROL_PLANE_TOKEN_WEBHOOK_URL"] = options.tokenWebhookUrl;
    env["CONTROL_PLANE_TOKEN_WEBHOOK_CA"] = options.tokenWebhookCaFile;
  }
  std::string audiences;
  for (const auto& a : options.apiAudiences) audiences += (audiences.empty() ? "" : ",") + a;
  if (!audiences.empty()) env["CONTROL_PLANE_API_AUDIENCES"] = audiences;
  const ExecPlan plan({"bash", scriptPath("control-plane.sh"), "run", "--dir", tmpl}, env);

  pid_t pid = fork();
  if (pid == 0) {
    // The script (and through it every component) dies with this process.
    // Only async-signal-safe calls until exec (see ExecPlan).
    int log = open(logFile.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log >= 0) {
      dup2(log, 1);
      dup2(log, 2);
    }
    plan.exec(SIGTERM);
  }
  if (pid < 0) return ctrl::Status(ctrl::Code::kInternal, "fork failed");
  plane->pid_ = pid;

  const auto deadline = SteadyClock::now() + std::chrono::minutes(3);
  auto pause = std::chrono::milliseconds(5);
  while (!fs::exists(tmpl + "/ready")) {
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      plane->pid_ = -1;
      return ctrl::Status(ctrl::Code::kUnavailable,
                          "control plane exited during start-up:\n" + readFile(logFile));
    }
    if (SteadyClock::now() > deadline) {
      return ctrl::Status(ctrl::Code::kTimeout,
                          "control plane not ready after 3 minutes:\n" + readFile(logFile));
    }
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(100));
  }
  plane->kubeconfig_ = readFile(tmpl + "/ready");
  return plane;
}

ControlPlane::~ControlPlane() {
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    const auto deadline = SteadyClock::now() + std::chrono::seconds(30);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) != pid_) {
      if (SteadyClock::now() > deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
  fs::remove(dir_ + ".log", ec);
}

std::string ControlPlane::server() const {
  std::ifstream in(kubeconfig_);
  for (std::string line; std::getline(in, line);) {
    auto pos = line.find("server: ");
    if (pos != std::string::npos) return line.substr(pos + 8);
  }
  return {};
}

std::string ControlPlane::etcdUrl() const { return readFile(dir_ + "/etcd-url"); }

ctrl::Status ControlPlane::waitForState(const std::string& want, int timeoutSeconds,
                                        const std::string& file) {
  const auto deadline = SteadyClock::now() + std::chrono::seconds(timeoutSeconds);
  while (readFile(dir_ + "/" + file) != want) {
    if (SteadyClock::now() > deadline) {
      return ctrl::Status(ctrl::Code::kTimeout, file + " did not become " + want);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return ctrl::Status::ok();
}

ctrl::Status ControlPlane::stopApiserver() {
  kill(pid_, SIGUSR1);
  return waitForState("stopped", 60);
}

ctrl::Status ControlPlane::startApiserver() {
  kill(pid_, SIGUSR2);
  return waitForState("ready", 120);
}

ctrl::Status ControlPlane::restartEtcd() {
  // The script writes "restarting" first; wait for the cycle to complete.
  std::ofstream(dir_ + "/etcd-state") << "requested";
  kill(pid_, SIGHUP);
  return waitForState("ready", 90, "etcd-state");
}

ctrl::Status ControlPlane::installCrds() const {
  ProcessResult r = kubectl({"apply", "-f", std::string(ST_SOURCE_DIR) + "/crds/"});
  if (r.exitCode == 0) {
    r = kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                 "crd/servicetokens.servicetoken.dev", "crd/serviceusers.servicetoken.dev"});
  }
  if (r.exitCode != 0) return ctrl::Status(ctrl::Code::kInternal, "installing crds/: " + r.err);
  return ctrl::Status::ok();
}

ProcessResult ControlPlane::kubectl(const std::vector<std::string>& args,
                                    const std::string& input) const {
  std::vector<std::string> argv{kubectlPath(), "--kubeconfig", kubeconfig_};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv, input);
}

std::string ControlPlane::kubectlPath() { return assets().at("TEST_ASSET_KUBECTL"); }
std::string ControlPlane::helmPath() { return assets().at("TEST_ASSET_HELM"); }

ControlPlane& sharedControlPlane(const ControlPlaneOptions& options) {
  static std::mutex mu;
  static std::unique_ptr<ControlPlane> plane;
  std::lock_guard lock(mu);
  if (!plane) {
    auto started = ControlPlane::start(options);
    if (!started.isOk()) {
      std::cerr << "Failed to start the control plane: " << started.status().toString()
                << std::endl;
      std::abort();
    }
    plane = std::move(started).value();
  }
  return *plane;
}

}  // namespace sttest
