// plugins/servicetoken.yaml, the krew manifest of kubectl-servicetoken: it
// parses, is a krew Plugin named for the binary (`kubectl servicetoken` runs
// kubectl-servicetoken), matches the chart's version, and every platform
// names an archive and the binary in it. Its caveats name the Debian packages
// whose libraries the binary loads (hack/install-deps.sh list runtime).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <regex>
#include <sstream>
#include <string>

#include "subprocess.h"

namespace {

const std::string kSource = ST_SOURCE_DIR;

YAML::Node loadManifest() { return YAML::LoadFile(kSource + "/plugins/servicetoken.yaml"); }

TEST(KrewManifest, IsAKrewPluginNamedForTheBinary) {
  YAML::Node m;
  ASSERT_NO_THROW(m = loadManifest());
  EXPECT_EQ(m["apiVersion"].as<std::string>(""), "krew.googlecontainertools.github.com/v1alpha2");
  EXPECT_EQ(m["kind"].as<std::string>(""), "Plugin");
  // krew runs kubectl-<name with '-' as '_'>; kubectl finds it as `kubectl servicetoken`.
  EXPECT_EQ(m["metadata"]["name"].as<std::string>(""), "servicetoken");
  const YAML::Node spec = m["spec"];
  EXPECT_FALSE(spec["shortDescription"].as<std::string>("").empty());
  EXPECT_FALSE(spec["description"].as<std::string>("").empty());
  EXPECT_THAT(spec["homepage"].as<std::string>(""), ::testing::StartsWith("https://"));
}

TEST(KrewManifest, VersionIsTheChartsAppVersion) {
  const YAML::Node chart = YAML::LoadFile(kSource + "/charts/servicetoken-operator/Chart.yaml");
  EXPECT_EQ(loadManifest()["spec"]["version"].as<std::string>(""),
            "v" + chart["appVersion"].as<std::string>());
}

TEST(KrewManifest, EveryPlatformNamesItsArchiveAndTheBinary) {
  const YAML::Node spec = loadManifest()["spec"];
  const std::string version = spec["version"].as<std::string>("");
  ASSERT_TRUE(spec["platforms"].IsSequence());
  ASSERT_GT(spec["platforms"].size(), 0u);
  for (const auto& p : spec["platforms"]) {
    const std::string os = p["selector"]["matchLabels"]["os"].as<std::string>("");
    const std::string arch = p["selector"]["matchLabels"]["arch"].as<std::string>("");
    SCOPED_TRACE(os + "/" + arch);
    EXPECT_FALSE(os.empty());
    EXPECT_FALSE(arch.empty());
    const std::string archive =
        "kubectl-servicetoken_" + version + "_" + os + "_" + arch + ".tar.gz";
    const std::string uri = p["uri"].as<std::string>("");
    EXPECT_THAT(uri, ::testing::StartsWith("https://"));
    EXPECT_THAT(uri, ::testing::EndsWith("/" + version + "/" + archive));
    EXPECT_TRUE(std::regex_match(p["sha256"].as<std::string>(""), std::regex("[0-9a-f]{64}")));
    EXPECT_EQ(p["bin"].as<std::string>(""), "kubectl-servicetoken");
    bool shipsBinary = false;
    for (const auto& f : p["files"]) {
      shipsBinary |= f["from"].as<std::string>("") == "kubectl-servicetoken";
    }
    EXPECT_TRUE(shipsBinary) << "files: does not copy kubectl-servicetoken out of the archive";
  }
}

TEST(KrewManifest, CaveatsNameTheRuntimePackages) {
  const std::string caveats = loadManifest()["spec"]["caveats"].as<std::string>("");
  sttest::ProcessResult r =
      sttest::runProcess({kSource + "/hack/install-deps.sh", "list", "runtime"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  std::istringstream packages(r.out);
  int count = 0;
  for (std::string pkg; std::getline(packages, pkg);) {
    // libc6 and libgcc-s1 are on every Debian system.
    if (pkg.empty() || pkg == "libc6" || pkg == "libgcc-s1") continue;
    ++count;
    EXPECT_THAT(caveats, ::testing::HasSubstr(" " + pkg)) << "the caveats do not name " << pkg;
  }
  EXPECT_GT(count, 0);
}

}  // namespace
