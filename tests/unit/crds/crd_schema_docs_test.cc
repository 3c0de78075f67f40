// The CRDs in crds/ document themselves: every property of every schema has a
// description (what `kubectl explain` shows), and the Expires and Renews
// printer columns are dates, so `kubectl get servicetokens` shows how far off
// they are.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace {

namespace fs = std::filesystem;

std::vector<std::string> crdFiles() {
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(std::string(ST_SOURCE_DIR) + "/crds")) {
    if (e.path().extension() == ".yaml") files.push_back(e.path().string());
  }
  return files;
}

// Appends to `missing` the path of every property under `schema` that has no
// description, descending into object properties and array items.
void collectUndocumented(const YAML::Node& schema, const std::string& path,
                         std::vector<std::string>& missing) {
  if (!schema.IsMap()) return;
  if (schema["properties"]) {
    for (const auto& p : schema["properties"]) {
      const std::string child = path + "." + p.first.as<std::string>();
      const YAML::Node& node = p.second;
      // The API server documents metadata (ObjectMeta) itself and refuses
      // anything but name and generateName under it.
      if (child.find('.') == child.rfind('.') && p.first.as<std::string>() == "metadata") continue;
      if (!node["description"] || node["description"].as<std::string>().empty()) {
        missing.push_back(child);
      }
      collectUndocumented(node, child, missing);
    }
  }
  if (schema["items"]) collectUndocumented(schema["items"], path + "[]", missing);
}

TEST(CrdSchemaDocs, EveryPropertyHasADescription) {
  const auto files = crdFiles();
  ASSERT_EQ(files.size(), 2u);
  for (const auto& file : files) {
    const YAML::Node crd = YAML::LoadFile(file);
    const std::string kind = crd["spec"]["names"]["kind"].as<std::string>();
    for (const auto& version : crd["spec"]["versions"]) {
      const YAML::Node schema = version["schema"]["openAPIV3Schema"];
      ASSERT_TRUE(schema.IsMap()) << file;
      EXPECT_FALSE(schema["description"].as<std::string>("").empty())
          << kind << " has no description";
      std::vector<std::string> missing;
      collectUndocumented(schema, kind, missing);
      EXPECT_THAT(missing, ::testing::IsEmpty()) << file << ": properties without a description";
      // The walk really reached the leaves.
      if (kind == "ServiceToken") {
        EXPECT_TRUE(
            schema["properties"]["spec"]["properties"]["rotation"]["properties"]["gracePeriod"]);
      }
    }
  }
}

// kubectl prints a date column as the age since that time, and "<invalid>"
// for a time still to come: expiry and renewal are shown as the times.
TEST(CrdSchemaDocs, ExpiresAndRenewsColumnsShowTimesNotAges) {
  const YAML::Node crd =
      YAML::LoadFile(std::string(ST_SOURCE_DIR) + "/crds/servicetoken.dev_servicetokens.yaml");
  std::map<std::string, std::string> paths;
  for (const auto& column : crd["spec"]["versions"][0]["additionalPrinterColumns"]) {
    const std::string name = column["name"].as<std::string>();
    if (name == "Expires" || name == "Renews") {
      EXPECT_EQ(column["type"].as<std::string>(), "string") << name;
      paths[name] = column["jsonPath"].as<std::string>();
    }
  }
  EXPECT_EQ(paths, (std::map<std::string, std::string>{{"Expires", ".status.expiresAt"},
                                                       {"Renews", ".status.renewalTime"}}));
}

}  // namespace
