// `kubectl servicetoken download` against an in-memory client: file naming,
// mode 0600, and every refusal (foreign Secret, not Active, existing file).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "api/base64.h"
#include "api/types.h"
#include "mocks/fake_lease_client.h"
#include "plugin/commands.h"
#include "temp_dir.h"

namespace st::plugin {
namespace {

using ctrl::Json;
using sttest::fileMode;
using sttest::listDir;
using sttest::readFile;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "eyJhbGciOiJFZERTQSJ9.c2VjcmV0LXBheWxvYWQ.c2ln";
constexpr const char* kFileName = "airflow-service-user-token.txt";

class DownloadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(dir_.path().empty());
    putToken("Active", "airflow-secret");
    putSecret("airflow-secret", {{kTokenLabel, "airflow"}, {kManagedByLabel, kManagedByValue}},
              kToken);
  }

  void putToken(const std::string& phase, const std::string& secretName) {
    Json status = {{"secretName", secretName}, {"tokenId", "jti-1"}};
    if (!phase.empty()) status["phase"] = phase;
    status["conditions"] =
        Json::array({{{"type", "Ready"},
                      {"status", phase == "Active" ? "True" : "False"},
                      {"reason", phase == "Active" ? "Issued" : "Expired"},
                      {"message", phase == "Active" ? "valid" : "The token expired"},
                      {"lastTransitionTime", "2026-01-01T00:00:00Z"}}});
    client_.put(serviceTokenResource(), "data",
                {{"apiVersion", kApiVersion},
                 {"kind", "ServiceToken"},
                 {"metadata", {{"name", "airflow"}, {"generation", 1}}},
                 {"spec",
                  {{"displayName", "Airflow Service User"},
                   {"type", "Service"},
                   {"serviceUserRef", {{"name", "airflow"}}},
                   {"expiration", "30d"}}},
                 {"status", status}});
  }

  void putSecret(const std::string& name, const Json& labels, const std::string& token) {
    Json data = Json::object();
    if (!token.empty()) data[kTokenKey] = base64Encode(token);
    client_.put(
        ctrl::resources::secret(), "data",
        {{"apiVersion", "v1"},
         {"kind", "Secret"},
         {"type", kSecretType},
         {"metadata",
          {{"name", name}, {"labels", labels}, {"annotations", {{kTokenIdAnnotation, "jti-1"}}}}},
         {"data", data}});
  }

  ctrl::Status download(bool force = false) {
    out_.str("");
    return downloadToken(client_, {"data", "airflow"}, {dir_.path(), force}, out_);
  }

  sttest::FakeLeaseClient client_;
  sttest::TempDir dir_;
  std::ostringstream out_;
};

TEST_F(DownloadTest, WritesExactlyTheTokenToTheDisplayNameFileWithMode0600) {
  ctrl::Status s = download();
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_THAT(listDir(dir_.path()), ElementsAre(kFileName));
  EXPECT_EQ(readFile(dir_.file(kFileName)), kToken);
  EXPECT_EQ(fileMode(dir_.file(kFileName)), 0600);
  EXPECT_THAT(out_.str(), HasSubstr(dir_.file(kFileName)));
  EXPECT_THAT(out_.str(), HasSubstr("token jti-1"));
  EXPECT_THAT(out_.str(), Not(HasSubstr(kToken)));
}

TEST_F(DownloadTest, RefusesToOverwriteWithoutForceAndLeavesTheFile) {
  ASSERT_TRUE(download().isOk());
  putSecret("airflow-secret", {{kTokenLabel, "airflow"}, {kManagedByLabel, kManagedByValue}},
            "rotated-token");
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kAlreadyExists);
  EXPECT_THAT(s.message(), HasSubstr(dir_.file(kFileName) + " already exists"));
  EXPECT_THAT(s.message(), HasSubstr("--force"));
  EXPECT_EQ(readFile(dir_.file(kFileName)), kToken);

  s = download(/*force=*/true);
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_EQ(readFile(dir_.file(kFileName)), "rotated-token");
  EXPECT_EQ(fileMode(dir_.file(kFileName)), 0600);
  EXPECT_THAT(listDir(dir_.path()), ElementsAre(kFileName));  // no temp file left behind
}

TEST_F(DownloadTest, RefusesASecretWithoutTheOperatorsLabelsEvenWithForce) {
  const Json cases[] = {
      Json::object(),
      {{kTokenLabel, "airflow"}},
      {{kManagedByLabel, kManagedByValue}},
      {{kTokenLabel, "someone-else"}, {kManagedByLabel, kManagedByValue}},
      {{kTokenLabel, "airflow"}, {kManagedByLabel, "helm"}},
  };
  for (const Json& labels : cases) {
    putSecret("airflow-secret", labels, kToken);
    for (bool force : {false, true}) {
      ctrl::Status s = download(force);
      EXPECT_EQ(s.code(), ctrl::Code::kConflict) << labels.dump();
      EXPECT_THAT(s.message(), HasSubstr("is not managed by servicetoken-operator"));
      EXPECT_THAT(s.message(), Not(HasSubstr(kToken)));
    }
  }
  EXPECT_TRUE(listDir(dir_.path()).empty());
}

TEST_F(DownloadTest, RefusesATokenThatIsNotActiveUnlessForced) {
  putToken("Expired", "airflow-secret");
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kConflict);
  EXPECT_THAT(s.message(), HasSubstr("is Expired, not Active"));
  EXPECT_THAT(s.message(), HasSubstr("Ready: no (Expired) — The token expired"));
  EXPECT_THAT(s.message(), HasSubstr("--force"));
  EXPECT_TRUE(listDir(dir_.path()).empty());
  EXPECT_EQ(client_.calls("get"), 1);  // the Secret was not even read

  s = download(/*force=*/true);
  ASSERT_TRUE(s.isOk()) << s.toString();
  EXPECT_THAT(out_.str(), HasSubstr("Warning: servicetoken airflow is Expired"));
  EXPECT_EQ(readFile(dir_.file(kFileName)), kToken);
}

TEST_F(DownloadTest, RefusesATokenWithoutStatus) {
  putToken("", "");
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kConflict);
  EXPECT_THAT(s.message(), HasSubstr("not reported by the operator yet"));
}

TEST_F(DownloadTest, UnknownServiceTokenIsNotFoundInPlainWords) {
  ctrl::Status s = downloadToken(client_, {"data", "nope"}, {dir_.path(), false}, out_);
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_EQ(s.message(), "servicetoken nope not found in namespace data");
}

TEST_F(DownloadTest, MissingSecretNamesTheSecret) {
  putToken("Active", "gone");
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_EQ(s.message(), "Secret gone of servicetoken airflow not found in namespace data");
}

TEST_F(DownloadTest, SecretWithoutTokenIsRefused) {
  putSecret("airflow-secret", {{kTokenLabel, "airflow"}, {kManagedByLabel, kManagedByValue}}, "");
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("holds no token"));
  EXPECT_TRUE(listDir(dir_.path()).empty());
}

TEST_F(DownloadTest, ForbiddenKeepsTheServersMessage) {
  client_.setInterceptor([](std::string_view, const ctrl::Resource& r, std::string_view) {
    if (r.plural != "secrets") return ctrl::Status::ok();
    return ctrl::errorStatus(ctrl::Code::kForbidden,
                             "secrets \"airflow-secret\" is forbidden: User \"bob\" cannot get "
                             "resource \"secrets\"");
  });
  ctrl::Status s = download();
  EXPECT_EQ(s.code(), ctrl::Code::kForbidden);
  EXPECT_THAT(s.message(), HasSubstr("User \"bob\" cannot get resource \"secrets\""));
}

TEST_F(DownloadTest, MissingOutputDirectoryIsAnError) {
  ctrl::Status s = downloadToken(client_, {"data", "airflow"}, {dir_.file("missing"), false}, out_);
  EXPECT_EQ(s.code(), ctrl::Code::kNotFound);
  EXPECT_THAT(s.message(), HasSubstr("does not exist"));
}

}  // namespace
}  // namespace st::plugin
