// The container image `make image` builds (hack/image.py), met as the chart's
// users meet it: a valid OCI layout that names the chart's default image; a
// root filesystem holding the runtime packages and the operator and nothing
// else to run (no shell, no package manager); an SBOM naming every package at
// its installed version; byte-identical rebuilds; and the operator, run from
// the unpacked root filesystem as the image's user, with the image's
// entrypoint and environment, the chart's arguments and the chart's
// ServiceAccount mounted as in a pod, minting a token on the real control
// plane.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "e2e/operator/e2e_cluster.h"
#include "e2e/operator/poll.h"
#include "oci_layout.h"
#include "temp_dir.h"

namespace sttest::e2e {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

constexpr const char* kOperatorPath = "usr/local/bin/servicetoken-operator";

std::string sourcePath(const std::string& relative) {
  return std::string(ST_SOURCE_DIR) + "/" + relative;
}

// Runs hack/image.py into `out`; returns "" or its error output.
std::string buildImage(const std::string& out, const std::map<std::string, std::string>& env = {}) {
  ProcessResult r = runProcess(
      {"python3", sourcePath("hack/image.py"), "--binary", operatorBinary(), "--out", out}, "",
      300s, env);
  return r.exitCode == 0 ? std::string() : "hack/image.py failed: " + r.out + r.err;
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (!line.empty()) out.push_back(line);
  }
  return out;
}

std::set<std::string> runtimePackages() {
  ProcessResult r = runProcess({sourcePath("hack/install-deps.sh"), "list", "runtime"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  auto names = lines(r.out);
  return {names.begin(), names.end()};
}

// The Deployment the chart renders with default values.
YAML::Node chartDeployment() {
  ProcessResult r = runProcess({ControlPlane::helmPath(), "template", kRelease, chartDir(),
                                "--namespace", kOperatorNamespace});
  EXPECT_EQ(r.exitCode, 0) << r.err;
  std::vector<std::string> docs(1);
  for (const auto& line : lines(r.out)) {
    if (line == "---") {
      docs.emplace_back();
    } else {
      docs.back() += line + "\n";
    }
  }
  for (const auto& doc : docs) {
    YAML::Node node = YAML::Load(doc);
    if (node.IsMap() && node["kind"] && node["kind"].as<std::string>() == "Deployment") return node;
  }
  ADD_FAILURE() << "the chart renders no Deployment";
  return {};
}

// Built once per test process (ctest runs each test case as its own process).
class ImageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new TempDir();
    buildError_ = buildImage(dir_->file("image"));
    if (!buildError_.empty()) return;
    layoutError_ = readOciLayout(dir_->file("image/oci"), *image_);
  }
  static void TearDownTestSuite() {
    delete dir_;
    dir_ = nullptr;
  }
  void SetUp() override {
    ASSERT_EQ(buildError_, "");
    ASSERT_EQ(layoutError_, "");
  }

  // Unpacks the image into a fresh directory and returns its path.
  std::string unpack() {
    const std::string rootfs = dir_->file("rootfs");
    fs::remove_all(rootfs);
    fs::create_directories(rootfs);
    std::string err = unpackLayers(*image_, rootfs);
    EXPECT_EQ(err, "");
    return rootfs;
  }

  static inline TempDir* dir_ = nullptr;
  static inline std::string buildError_;
  static inline std::string layoutError_;
  static inline OciImage* image_ = new OciImage();
};

TEST_F(ImageTest, LayoutIsValidAndNamesTheChartsDefaultImage) {
  const YAML::Node deployment = chartDeployment();
  ASSERT_TRUE(deployment.IsMap());
  const std::string chartImage =
      deployment["spec"]["template"]["spec"]["containers"][0]["image"].as<std::string>();
  const Json annotations = image_->manifestDescriptor.value("annotations", Json::object());
  EXPECT_EQ(annotations.value("io.containerd.image.name", ""), chartImage);
  const std::string tag = chartImage.substr(chartImage.rfind(':') + 1);
  EXPECT_EQ(annotations.value("org.opencontainers.image.ref.name", ""), tag);

  const Json config = image_->config.value("config", Json::object());
  EXPECT_EQ(config.value("User", ""), "65532:65532");
  EXPECT_EQ(config.value("Entrypoint", Json()),
            Json::array({"/usr/local/bin/servicetoken-operator"}));
  EXPECT_EQ(image_->config.value("os", ""), "linux");

  // The oci-archive holds the same layout.
  const std::string archive = dir_->file("image/servicetoken-operator-" + tag + ".oci.tar");
  ProcessResult listing = runProcess({"tar", "-tf", archive});
  ASSERT_EQ(listing.exitCode, 0) << listing.err;
  EXPECT_THAT(lines(listing.out), ::testing::IsSupersetOf({"oci-layout", "index.json"}));
  ProcessResult index = runProcess({"tar", "-xOf", archive, "index.json"});
  EXPECT_EQ(Json::parse(index.out, nullptr, false), image_->index);
}

TEST_F(ImageTest, RootFilesystemHoldsOnlyTheRuntimePackagesAndTheOperator) {
  const std::string rootfs = unpack();
  std::vector<std::string> libraries;  // dpkg -S patterns
  std::vector<std::string> executables;
  for (auto it = fs::recursive_directory_iterator(rootfs); it != fs::recursive_directory_iterator();
       ++it) {
    const std::string rel = fs::relative(it->path(), rootfs).string();
    const std::string name = it->path().filename().string();
    if (it->is_directory() && !it->is_symlink()) continue;  // e.g. var/lib/dpkg (data only)
    EXPECT_THAT(name,
                ::testing::Not(::testing::AnyOf("sh", "bash", "dash", "busybox", "dpkg", "apt",
                                                "apt-get", "ldconfig", "update-ca-certificates")))
        << rel;
    if (it->is_symlink() || !it->is_regular_file()) continue;
    struct stat st {};
    ASSERT_EQ(::lstat(it->path().c_str(), &st), 0);
    EXPECT_EQ(st.st_uid, 0u) << rel;
    if ((st.st_mode & 0111) != 0) executables.push_back(rel);
    if (rel.rfind("usr/lib/", 0) == 0 && rel.find(".so") != std::string::npos) {
      // dpkg knows these by their pre-merged-/usr path (/lib/...) or as /usr/lib/...
      libraries.push_back("*/" + rel.substr(4));
    }
  }
  // Executable files: the operator, and shared libraries (which are mapped, not run).
  for (const auto& rel : executables) {
    if (rel == kOperatorPath) continue;
    EXPECT_NE(rel.find(".so"), std::string::npos) << rel << " is executable and no library";
  }
  EXPECT_THAT(executables, ::testing::Contains(kOperatorPath));
  EXPECT_FALSE(fs::exists(rootfs + "/usr/bin")) << "the image has /usr/bin";
  EXPECT_FALSE(fs::exists(rootfs + "/usr/sbin")) << "the image has /usr/sbin";

  // Every library comes from a runtime package; every runtime package is there.
  ASSERT_FALSE(libraries.empty());
  std::vector<std::string> argv{"dpkg", "-S"};
  argv.insert(argv.end(), libraries.begin(), libraries.end());
  ProcessResult owners = runProcess(argv);
  ASSERT_EQ(owners.exitCode, 0) << owners.err;
  std::set<std::string> packages{"ca-certificates"};  // its bundle is generated
  for (const auto& line : lines(owners.out)) {
    if (line.rfind("diversion ", 0) == 0) continue;
    std::string pkg = line.substr(0, line.find(':'));
    packages.insert(pkg);
  }
  EXPECT_EQ(packages, runtimePackages());
  EXPECT_TRUE(fs::is_regular_file(rootfs + "/etc/ssl/certs/ca-certificates.crt"));

  // The user the image runs as.
  EXPECT_THAT(readWholeFile(rootfs + "/etc/passwd"),
              ::testing::HasSubstr("nonroot:x:65532:65532:"));
  struct stat home {};
  ASSERT_EQ(::stat((rootfs + "/home/nonroot").c_str(), &home), 0);
  EXPECT_EQ(home.st_uid, 65532u);
}

TEST_F(ImageTest, SbomNamesEveryPackageAtItsInstalledVersion) {
  const std::string rootfs = unpack();
  const std::string text = readWholeFile(dir_->file("image/sbom.spdx.json"));
  EXPECT_EQ(readWholeFile(rootfs + "/usr/share/doc/servicetoken-operator/sbom.spdx.json"), text)
      << "the SBOM inside the image differs from build/image/sbom.spdx.json";
  const Json sbom = Json::parse(text, nullptr, false);
  ASSERT_TRUE(sbom.is_object());
  EXPECT_EQ(sbom.value("spdxVersion", ""), "SPDX-2.3");
  std::set<std::string> debs;
  for (const auto& pkg : sbom.value("packages", Json::array())) {
    const std::string name = pkg.value("name", "");
    if (name == "servicetoken-operator") {
      const Json checksum = pkg.value("checksums", Json::array()).at(0);
      EXPECT_EQ("sha256:" + checksum.value("checksumValue", ""),
                sha256Of(rootfs + "/" + kOperatorPath));
      continue;
    }
    debs.insert(name);
    ProcessResult v = runProcess({"dpkg-query", "-W", "-f=${Version}", name});
    EXPECT_EQ(pkg.value("versionInfo", ""), v.out) << name;
    const std::string purl =
        pkg.value("externalRefs", Json::array()).at(0).value("referenceLocator", "");
    EXPECT_EQ(purl.rfind("pkg:deb/debian/" + name + "@", 0), 0u) << purl;
    EXPECT_TRUE(fs::exists(rootfs + "/var/lib/dpkg/status.d/" + name)) << name;
  }
  EXPECT_EQ(debs, runtimePackages());
}

TEST_F(ImageTest, TwoBuildsAreByteIdenticalAndFollowSourceDateEpoch) {
  TempDir dir;
  const std::map<std::string, std::string> epoch{{"SOURCE_DATE_EPOCH", "1700000000"}};
  ASSERT_EQ(buildImage(dir.file("a"), epoch), "");
  ASSERT_EQ(buildImage(dir.file("b"), epoch), "");
  ASSERT_EQ(buildImage(dir.file("c"), {{"SOURCE_DATE_EPOCH", "1700000001"}}), "");
  const std::string tag =
      image_->manifestDescriptor["annotations"].value("org.opencontainers.image.ref.name", "");
  const std::string archive = "/servicetoken-operator-" + tag + ".oci.tar";
  const std::string a = sha256Of(dir.file("a") + archive);
  ASSERT_FALSE(a.empty());
  EXPECT_EQ(a, sha256Of(dir.file("b") + archive));
  EXPECT_EQ(readWholeFile(dir.file("a/sbom.spdx.json")),
            readWholeFile(dir.file("b/sbom.spdx.json")));

  OciImage first, other;
  ASSERT_EQ(readOciLayout(dir.file("a/oci"), first), "");
  ASSERT_EQ(readOciLayout(dir.file("c/oci"), other), "");
  EXPECT_EQ(first.config.value("created", ""), "2023-11-14T22:13:20Z");
  EXPECT_EQ(other.config.value("created", ""), "2023-11-14T22:13:21Z");
  EXPECT_NE(first.manifestDescriptor["digest"], other.manifestDescriptor["digest"]);
  // Only the time differs: the same files in the same order.
  ProcessResult la = runProcess({"tar", "-tzf", first.layerFiles[0]});
  ProcessResult lc = runProcess({"tar", "-tzf", other.layerFiles[0]});
  EXPECT_EQ(la.out, lc.out);
  std::vector<std::string> names = lines(la.out);
  EXPECT_TRUE(std::is_sorted(names.begin(), names.end())) << "tar entries are not sorted";
}

// Host pids of `pid`'s children (from /proc/*/stat).
std::vector<int> childrenOf(int pid) {
  std::vector<int> out;
  for (const auto& entry : fs::directory_iterator("/proc")) {
    const std::string name = entry.path().filename().string();
    if (name.find_first_not_of("0123456789") != std::string::npos) continue;
    const std::string stat = readWholeFile(entry.path().string() + "/stat");
    const auto close = stat.rfind(')');
    if (close == std::string::npos) continue;
    std::istringstream rest(stat.substr(close + 2));
    std::string state;
    int ppid = 0;
    rest >> state >> ppid;
    if (ppid == pid) out.push_back(std::stoi(name));
  }
  return out;
}

// "Key:\tvalue" of /proc/PID/status, or "".
std::string procStatus(int pid, const std::string& key) {
  for (const auto& line : lines(readWholeFile("/proc/" + std::to_string(pid) + "/status"))) {
    if (line.rfind(key + ":", 0) == 0) {
      std::string value = line.substr(key.size() + 1);
      value.erase(0, value.find_first_not_of(" \t"));
      return value;
    }
  }
  return {};
}

TEST_F(ImageTest, OperatorFromTheRootFilesystemMintsAToken) {
  if (::geteuid() != 0) GTEST_SKIP() << "chroot and mounts need root (CI runs as root)";
  ProcessResult probe = runProcess({"unshare", "--mount", "--pid", "--fork", "true"});
  if (probe.exitCode != 0) GTEST_SKIP() << "unshare cannot make namespaces here: " << probe.err;

  E2eCluster c;
  ASSERT_EQ(c.error(), "");
  const std::string rootfs = unpack();

  // The ServiceAccount as the kubelet mounts it: token, CA, namespace.
  TempDir sa;
  ProcessResult token =
      c.kubectl({"create", "token", kServiceAccount, "-n", kOperatorNamespace, "--duration=1h"});
  ASSERT_EQ(token.exitCode, 0) << token.err;
  sa.write("token", token.out);
  sa.write("ca.crt", readWholeFile(c.plane().dir() + "/pki/ca.crt"));
  sa.write("namespace", kOperatorNamespace);
  for (const char* f : {"token", "ca.crt", "namespace"}) ::chmod(sa.file(f).c_str(), 0644);
  ::chmod(sa.path().c_str(), 0755);

  // The pod's environment: the image's Env, the chart's env, the service host.
  std::smatch server;
  const std::string url = c.plane().server();
  ASSERT_TRUE(std::regex_match(url, server, std::regex(R"(https://([^:/]+):(\d+)/?)"))) << url;
  std::map<std::string, std::string> podEnv{{"POD_NAMESPACE", kOperatorNamespace},
                                            {"POD_NAME", "st-servicetoken-operator-image"}};
  std::string envFile;
  for (const auto& e : image_->config["config"].value("Env", Json::array())) {
    envFile += e.get<std::string>() + "\n";
  }
  for (const auto& [k, v] : podEnv) envFile += k + "=" + v + "\n";
  envFile += "KUBERNETES_SERVICE_HOST=" + server[1].str() + "\n";
  envFile += "KUBERNETES_SERVICE_PORT=" + server[2].str() + "\n";
  const std::string envPath = c.dir() + "/pod.env";
  std::ofstream(envPath) << envFile;

  // The chart's arguments, with $(VAR) expanded as the kubelet does and the
  // listeners on free loopback ports (the plane shares this network).
  const YAML::Node deployment = chartDeployment();
  ASSERT_TRUE(deployment.IsMap());
  std::vector<std::string> argv{"unshare",
                                "--mount",
                                "--propagation",
                                "private",
                                "--pid",
                                "--fork",
                                "--kill-child=SIGKILL",
                                "bash",
                                sourcePath("tests/e2e/image/run_in_rootfs.sh"),
                                rootfs,
                                sa.path(),
                                image_->config["config"].value("User", ""),
                                envPath,
                                "--"};
  for (const auto& e : image_->config["config"]["Entrypoint"]) argv.push_back(e.get<std::string>());
  for (const auto& node : deployment["spec"]["template"]["spec"]["containers"][0]["args"]) {
    std::string arg = node.as<std::string>();
    for (const auto& [k, v] : podEnv) {
      const std::string ref = "$(" + k + ")";
      for (auto pos = arg.find(ref); pos != std::string::npos; pos = arg.find(ref))
        arg.replace(pos, ref.size(), v);
    }
    if (arg.rfind("--metrics-bind-address", 0) == 0) arg = "--metrics-bind-address=127.0.0.1:0";
    if (arg.rfind("--health-probe-bind-address", 0) == 0)
      arg = "--health-probe-bind-address=127.0.0.1:0";
    argv.push_back(arg);
  }
  const std::string logFile = c.dir() + "/image-operator.log";
  ChildProcess op(argv, logFile);

  constexpr const char* kNs = "e2e-image";
  ASSERT_TRUE(c.ensureNamespace(kNs));
  ASSERT_TRUE(c.apply(std::string(R"(apiVersion: servicetoken.dev/v1alpha1
kind: ServiceUser
metadata: {name: pipeline, namespace: e2e-image}
spec: {displayName: Pipeline Automation}
---
apiVersion: servicetoken.dev/v1alpha1
kind: ServiceToken
metadata: {name: airflow, namespace: e2e-image}
spec:
  displayName: Airflow Service User
  type: Service
  serviceUserRef: {name: pipeline}
  expiration: 90d
)")));
  const bool active = eventually(
      [&] { return c.jsonpath("servicetoken", "airflow", kNs, ".status.phase") == "Active"; }, 120s,
      500ms);
  ASSERT_TRUE(active) << "the token did not become Active; operator log:\n" << readText(logFile);
  const std::string stored = c.jsonpath("secret", "airflow", kNs, ".data.token");
  ASSERT_FALSE(stored.empty()) << "Secret e2e-image/airflow has no token";

  // The process that minted it: chrooted into the image, as 65532, without
  // capabilities or a way to gain privileges.
  std::vector<int> stage = childrenOf(op.pid());
  ASSERT_EQ(stage.size(), 1u);
  std::vector<int> operators = childrenOf(stage[0]);
  ASSERT_EQ(operators.size(), 1u);
  const std::string proc = "/proc/" + std::to_string(operators[0]);
  EXPECT_EQ(fs::read_symlink(proc + "/root"), fs::canonical(rootfs));
  EXPECT_EQ(fs::read_symlink(proc + "/exe"), fs::canonical(rootfs) / kOperatorPath);
  EXPECT_THAT(procStatus(operators[0], "Uid"),
              ::testing::MatchesRegex("65532\\s+65532\\s+65532\\s+65532"));
  EXPECT_THAT(procStatus(operators[0], "Gid"),
              ::testing::MatchesRegex("65532\\s+65532\\s+65532\\s+65532"));
  EXPECT_EQ(procStatus(operators[0], "CapEff"), "0000000000000000");
  EXPECT_EQ(procStatus(operators[0], "NoNewPrivs"), "1");

  // No token material in the log (never printed, even on failure).
  ProcessResult decoded = runProcess({"base64", "-d"}, stored);
  ASSERT_EQ(decoded.exitCode, 0);
  ASSERT_EQ(std::count(decoded.out.begin(), decoded.out.end(), '.'), 2) << "not a compact JWS";
  const std::string log = readText(logFile);
  EXPECT_EQ(log.find(stored), std::string::npos) << "the operator log contains the stored token";
  EXPECT_EQ(log.find(decoded.out), std::string::npos) << "the operator log contains the token";

  // SIGKILL to unshare kills the namespace's init and with it the operator.
  op.kill(SIGKILL);
  EXPECT_EQ(op.wait(10s), -1);
  EXPECT_TRUE(eventually([&] { return !fs::exists(proc); }, 10s, 100ms))
      << "the operator outlived its namespace";
}

}  // namespace
}  // namespace sttest::e2e
