// The client against a real kube-apiserver: paging, the error codes the
// runtime branches on (AlreadyExists, Conflict, NotFound, Invalid, Forbidden,
// Unauthorized), merge patch and server-side apply, dry run, delete
// preconditions, a watch's event order and TokenRequest.
#include "controller/client.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.h"
#include "control_plane.h"
#include "controller/resource.h"
#include "controller/transport.h"

namespace sttest {
namespace {

using ctrl::Code;
using ctrl::Json;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

const ctrl::Resource& cms() { return ctrl::resources::configMap(); }

Json configMap(const std::string& name, const std::map<std::string, std::string>& data = {}) {
  Json cm = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", name}}}};
  cm["data"] = Json::object();
  for (const auto& [k, v] : data) cm["data"][k] = v;
  return cm;
}

// Each test works in a namespace of its own.
class ClientIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    config_ = adminConfig();
    client_ = clientFor(config_);
    ASSERT_NE(client_, nullptr);
    static std::atomic<int> counter{0};
    ns_ = "client-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    Json ns = {{"metadata", {{"name", ns_}}}};
    auto created = client_->create(ctrl::resources::namespace_(), "", ns);
    ASSERT_TRUE(created.isOk()) << created.status().toString();
  }

  ctrl::RestConfig config_;
  std::unique_ptr<ctrl::Client> client_;
  std::string ns_;
};

TEST_F(ClientIntegrationTest, PagedListReturnsEachObjectExactlyOnce) {
  constexpr int kObjects = 1500;
  constexpr int kThreads = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = t; i < kObjects; i += kThreads) {
        auto created = client_->create(cms(), ns_, configMap("cm-" + std::to_string(i)));
        if (!created.isOk()) ++failures;
      }
    });
  }
  for (auto& w : writers) w.join();
  ASSERT_EQ(failures.load(), 0);

  std::map<std::string, int> seen;
  ctrl::ListOptions options;
  options.limit = 500;
  int pages = 0;
  do {
    auto page = client_->list(cms(), ns_, options);
    ASSERT_TRUE(page.isOk()) << page.status().toString();
    ++pages;
    ASSERT_LE(page->items->size(), 500u);
    for (const Json& item : *page->items) {
      EXPECT_EQ(item["kind"], "ConfigMap");
      EXPECT_EQ(item["apiVersion"], "v1");
      ++seen[item["metadata"]["name"].get<std::string>()];
    }
    options.continueToken = page->continueToken;
  } while (!options.continueToken.empty());

  EXPECT_GE(pages, 3);  // 1,500 objects (+ kube-root-ca.crt, if its controller ran)
  for (int i = 0; i < kObjects; ++i) {
    EXPECT_EQ(seen["cm-" + std::to_string(i)], 1) << "cm-" << i;
  }
  for (const auto& [name, count] : seen) EXPECT_EQ(count, 1) << name;
}

TEST_F(ClientIntegrationTest, CreateTwiceIsAlreadyExists) {
  ASSERT_TRUE(client_->create(cms(), ns_, configMap("twice")).isOk());
  auto again = client_->create(cms(), ns_, configMap("twice"));
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists) << again.status().toString();
  EXPECT_THAT(again.status().message(), HasSubstr("already exists"));
}

TEST_F(ClientIntegrationTest, UpdateWithStaleResourceVersionIsConflict) {
  auto created = client_->create(cms(), ns_, configMap("cas", {{"v", "1"}}));
  ASSERT_TRUE(created.isOk());
  Json stale = *created;
  Json fresh = *created;
  fresh["data"]["v"] = "2";
  auto updated = client_->update(cms(), ns_, fresh);
  ASSERT_TRUE(updated.isOk()) << updated.status().toString();
  EXPECT_NE((*updated)["metadata"]["resourceVersion"], stale["metadata"]["resourceVersion"]);

  stale["data"]["v"] = "3";
  auto conflicted = client_->update(cms(), ns_, stale);
  EXPECT_EQ(conflicted.status().code(), Code::kConflict) << conflicted.status().toString();
  auto now = client_->get(cms(), ns_, "cas");
  ASSERT_TRUE(now.isOk());
  EXPECT_EQ((*now)["data"]["v"], "2");
}

TEST_F(ClientIntegrationTest, GetMissingIsNotFound) {
  auto got = client_->get(cms(), ns_, "does-not-exist");
  EXPECT_EQ(got.status().code(), Code::kNotFound);
  EXPECT_THAT(got.status().message(), HasSubstr("does-not-exist"));
}

TEST_F(ClientIntegrationTest, MergePatchAddsAndRemovesKeys) {
  ASSERT_TRUE(client_->create(cms(), ns_, configMap("merge", {{"a", "1"}, {"b", "2"}})).isOk());
  auto patched = client_->patch(cms(), ns_, "merge", ctrl::PatchType::kMerge,
                                Json::parse(R"({"data":{"b":null,"c":"3"}})"));
  ASSERT_TRUE(patched.isOk()) << patched.status().toString();
  EXPECT_EQ((*patched)["data"], Json::parse(R"({"a":"1","c":"3"})"));
}

TEST_F(ClientIntegrationTest, ServerSideApplyCreatesOwnsAndForces) {
  ctrl::PatchOptions apply;
  apply.fieldManager = "it-applier";
  // Apply creates the object when absent; kind/apiVersion are filled in.
  auto applied =
      client_->patch(cms(), ns_, "ssa", ctrl::PatchType::kApply,
                     Json::parse(R"({"metadata":{"name":"ssa"},"data":{"k":"v1"}})"), apply);
  ASSERT_TRUE(applied.isOk()) << applied.status().toString();
  EXPECT_EQ((*applied)["data"]["k"], "v1");
  bool managed = false;
  for (const Json& entry : (*applied)["metadata"]["managedFields"]) {
    if (entry["manager"] == "it-applier" && entry["operation"] == "Apply") managed = true;
  }
  EXPECT_TRUE(managed);

  // Another manager takes the field; applying over it conflicts unless forced.
  auto taken =
      client_->patch(cms(), ns_, "ssa", ctrl::PatchType::kMerge,
                     Json::parse(R"({"data":{"k":"other"}})"), {"", false, false, "other"});
  ASSERT_TRUE(taken.isOk()) << taken.status().toString();
  auto conflict =
      client_->patch(cms(), ns_, "ssa", ctrl::PatchType::kApply,
                     Json::parse(R"({"metadata":{"name":"ssa"},"data":{"k":"v2"}})"), apply);
  EXPECT_EQ(conflict.status().code(), Code::kConflict) << conflict.status().toString();
  apply.force = true;
  auto forced =
      client_->patch(cms(), ns_, "ssa", ctrl::PatchType::kApply,
                     Json::parse(R"({"metadata":{"name":"ssa"},"data":{"k":"v2"}})"), apply);
  ASSERT_TRUE(forced.isOk()) << forced.status().toString();
  EXPECT_EQ((*forced)["data"]["k"], "v2");
}

TEST_F(ClientIntegrationTest, InvalidObjectIsInvalidNamingTheField) {
  auto got = client_->create(cms(), ns_, configMap("Bad_Name"));
  EXPECT_EQ(got.status().code(), Code::kInvalid) << got.status().toString();
  EXPECT_THAT(got.status().message(), HasSubstr("metadata.name"));
}

TEST_F(ClientIntegrationTest, DryRunCreatePersistsNothing) {
  ctrl::WriteOptions options;
  options.dryRun = true;
  auto created = client_->create(cms(), ns_, configMap("dry"), options);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ(client_->get(cms(), ns_, "dry").status().code(), Code::kNotFound);
}

TEST_F(ClientIntegrationTest, DeleteHonoursPreconditions) {
  auto created = client_->create(cms(), ns_, configMap("del"));
  ASSERT_TRUE(created.isOk());
  ctrl::DeleteOptions wrongUid;
  wrongUid.preconditionUid = "00000000-0000-0000-0000-000000000000";
  EXPECT_EQ(client_->remove(cms(), ns_, "del", wrongUid).code(), Code::kConflict);
  ctrl::DeleteOptions rightUid;
  rightUid.preconditionUid = (*created)["metadata"]["uid"].get<std::string>();
  EXPECT_TRUE(client_->remove(cms(), ns_, "del", rightUid).isOk());
  EXPECT_EQ(client_->remove(cms(), ns_, "del").code(), Code::kNotFound);
}

TEST_F(ClientIntegrationTest, WatchDeliversAddedModifiedDeletedInOrder) {
  ctrl::ListOptions listOptions;
  listOptions.fieldSelector = "metadata.name=watched";
  auto start = client_->list(cms(), ns_, listOptions);
  ASSERT_TRUE(start.isOk());
  // Writes after the list's resourceVersion are replayed to a watch from it.
  auto created = client_->create(cms(), ns_, configMap("watched", {{"v", "1"}}));
  ASSERT_TRUE(created.isOk());
  ASSERT_TRUE(client_
                  ->patch(cms(), ns_, "watched", ctrl::PatchType::kMerge,
                          Json::parse(R"({"data":{"v":"2"}})"))
                  .isOk());
  ASSERT_TRUE(client_->remove(cms(), ns_, "watched").isOk());

  std::vector<ctrl::WatchEventType> types;
  std::vector<std::string> values;
  ctrl::WatchOptions options;
  options.resourceVersion = start->resourceVersion;
  options.fieldSelector = "metadata.name=watched";
  options.timeoutSeconds = 60;  // a bound should the events never come
  auto status = client_->watch(
      cms(), ns_, options,
      [&](const ctrl::WatchEvent& e) {
        if (e.type == ctrl::WatchEventType::kBookmark) return true;
        types.push_back(e.type);
        values.push_back(e.type == ctrl::WatchEventType::kError
                             ? e.object->dump()
                             : (*e.object)["data"].value("v", std::string()));
        EXPECT_EQ((*e.object)["kind"], "ConfigMap");
        return e.type != ctrl::WatchEventType::kDeleted && e.type != ctrl::WatchEventType::kError;
      },
      {});
  EXPECT_EQ(status.code(), Code::kCancelled) << status.toString();  // the handler stopped it
  EXPECT_THAT(types, ElementsAre(ctrl::WatchEventType::kAdded, ctrl::WatchEventType::kModified,
                                 ctrl::WatchEventType::kDeleted));
  EXPECT_THAT(values, ElementsAre("1", "2", "2"));
}

TEST_F(ClientIntegrationTest, ServiceAccountTokenIsForbiddenToReadSecrets) {
  ASSERT_TRUE(
      client_
          ->create(ctrl::resources::serviceAccount(), ns_, Json{{"metadata", {{"name", "reader"}}}})
          .isOk());
  Json request = {{"apiVersion", "authentication.k8s.io/v1"},
                  {"kind", "TokenRequest"},
                  {"spec", {{"expirationSeconds", 600}}}};
  auto issued = client_->createSubresource(ctrl::resources::serviceAccount(), ns_, "reader",
                                           "token", request);
  ASSERT_TRUE(issued.isOk()) << issued.status().toString();
  const std::string token = (*issued)["status"]["token"].get<std::string>();
  ASSERT_FALSE(token.empty());

  ctrl::RestConfig saConfig = config_;
  saConfig.clientCertPem.clear();
  saConfig.clientKeyPem.clear();
  saConfig.bearerToken = [token] { return token; };
  auto asReader = clientFor(saConfig);
  ASSERT_NE(asReader, nullptr);
  auto got = asReader->get(ctrl::resources::secret(), ns_, "anything");
  EXPECT_EQ(got.status().code(), Code::kForbidden) << got.status().toString();
  EXPECT_THAT(got.status().message(), HasSubstr("system:serviceaccount:" + ns_ + ":reader"));
  EXPECT_THAT(got.status().message(), ::testing::Not(HasSubstr(token)));
}

TEST_F(ClientIntegrationTest, BogusTokenIsUnauthorized) {
  ctrl::RestConfig bogus = config_;
  bogus.clientCertPem.clear();
  bogus.clientKeyPem.clear();
  bogus.bearerToken = [] { return std::string("not-a-real-token"); };
  auto client = clientFor(bogus);
  ASSERT_NE(client, nullptr);
  EXPECT_EQ(client->get(cms(), ns_, "x").status().code(), Code::kUnauthorized);
}

// CallOptions::response = kMetadata: the real API server answers creates,
// patches, updates and gets with PartialObjectMetadata, whose metadata is the
// object's own (the resourceVersion a later read sees).
TEST_F(ClientIntegrationTest, AMetadataOnlyAnswerCarriesTheObjectsMetadata) {
  const ctrl::CallOptions metadataOnly = ctrl::metadataOnlyAnswer();
  auto created = client_->create(cms(), ns_, configMap("meta", {{"k", "v"}}), {}, metadataOnly);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ((*created)["kind"], "PartialObjectMetadata");
  EXPECT_FALSE(created->contains("data"));
  EXPECT_EQ((*created)["metadata"]["name"], "meta");
  EXPECT_FALSE((*created)["metadata"].value("uid", "").empty());

  auto patched = client_->patch(cms(), ns_, "meta", ctrl::PatchType::kMerge,
                                Json{{"data", {{"k", "w"}}}}, {}, metadataOnly);
  ASSERT_TRUE(patched.isOk()) << patched.status().toString();
  EXPECT_FALSE(patched->contains("data"));
  auto full = client_->get(cms(), ns_, "meta");
  ASSERT_TRUE(full.isOk());
  EXPECT_EQ((*full)["data"]["k"], "w");
  EXPECT_EQ((*patched)["metadata"]["resourceVersion"], (*full)["metadata"]["resourceVersion"]);
  EXPECT_EQ((*patched)["metadata"]["uid"], (*created)["metadata"]["uid"]);

  auto updated = client_->update(cms(), ns_, *full, {}, metadataOnly);
  ASSERT_TRUE(updated.isOk()) << updated.status().toString();
  auto read = client_->get(cms(), ns_, "meta", metadataOnly);
  ASSERT_TRUE(read.isOk());
  EXPECT_FALSE(read->contains("data"));
  EXPECT_EQ((*read)["metadata"]["resourceVersion"], (*updated)["metadata"]["resourceVersion"]);

  // Errors are the API's Status as ever.
  auto again = client_->create(cms(), ns_, configMap("meta"), {}, metadataOnly);
  ASSERT_FALSE(again.isOk());
  EXPECT_EQ(again.status().code(), Code::kAlreadyExists);
}

}  // namespace
}  // namespace sttest
