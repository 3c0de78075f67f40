// `kubectl explain` on the real kube-apiserver explains the CRDs' fields: the
// server publishes every property of ServiceToken and ServiceUser with its
// description in its OpenAPI v3 document (what kubectl explain reads), and
// the example, servicetoken.spec.rotation, reads as documentation.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "control_plane.h"

namespace sttest {
namespace {

using Json = nlohmann::json;
using ::testing::HasSubstr;
using namespace std::chrono_literals;

// kubectl explain and the OpenAPI v3 document see a new CRD a moment after it
// is Established (discovery and the OpenAPI aggregation catch up): retry a
// call until it succeeds or a safety deadline passes.
ProcessResult kubectlOnceServed(const std::vector<std::string>& args) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  ProcessResult r = sharedControlPlane().kubectl(args);
  while (r.exitCode != 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(200ms);
    r = sharedControlPlane().kubectl(args);
  }
  return r;
}

class CrdExplainTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ctrl::Status installed = sharedControlPlane().installCrds();
    ASSERT_TRUE(installed.isOk()) << installed.toString();
  }
};

TEST_F(CrdExplainTest, ExplainsServiceTokenSpecRotation) {
  ProcessResult r = kubectlOnceServed({"explain", "servicetoken.spec.rotation"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("When tokens are replaced before they expire"));
  EXPECT_THAT(r.out, HasSubstr("renewBefore"));
  EXPECT_THAT(r.out, HasSubstr("one third"));
  EXPECT_THAT(r.out, HasSubstr("gracePeriod"));

  r = kubectlOnceServed({"explain", "serviceuser.status.userId"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("@<namespace>.service"));
}

// Appends the path of every property without a description.
void collectUndocumented(const Json& schema, const std::string& path,
                         std::vector<std::string>& missing) {
  if (!schema.is_object()) return;
  const Json properties = schema.value("properties", Json::object());
  for (const auto& [name, property] : properties.items()) {
    const std::string child = path + "." + name;
    // metadata is ObjectMeta by reference; the reference carries the description.
    bool documented = !property.value("description", "").empty();
    const Json allOf = property.value("allOf", Json::array());
    for (const auto& part : allOf) {
      documented = documented || !part.value("description", "").empty();
    }
    if (!documented) missing.push_back(child);
    collectUndocumented(property, child, missing);
  }
  if (schema.contains("items")) collectUndocumented(schema["items"], path + "[]", missing);
}

TEST_F(CrdExplainTest, TheServerPublishesEveryPropertyWithItsDescription) {
  ProcessResult r =
      kubectlOnceServed({"get", "--raw", "/openapi/v3/apis/servicetoken.dev/v1alpha1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const Json doc = Json::parse(r.out, nullptr, false);
  ASSERT_TRUE(doc.is_object());
  const Json schemas = doc["components"]["schemas"];
  for (const char* kind : {"ServiceToken", "ServiceUser"}) {
    const std::string key = std::string("dev.servicetoken.v1alpha1.") + kind;
    ASSERT_TRUE(schemas.contains(key)) << key;
    std::vector<std::string> missing;
    collectUndocumented(schemas[key], kind, missing);
    EXPECT_THAT(missing, ::testing::IsEmpty()) << kind;
    EXPECT_GT(schemas[key]["properties"]["spec"].value("properties", Json::object()).size(), 3u);
  }
}

}  // namespace
}  // namespace sttest
