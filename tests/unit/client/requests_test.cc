// What goes on the wire for each verb: method, path, query, headers, body.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"

namespace sttest {
namespace {

using ctrl::Json;
using ::testing::ElementsAre;
using ::testing::Pair;

constexpr const char* kCm = R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"cm1"}})";

class RequestsTest : public ::testing::Test {
 protected:
  JumpClock clock_;
  TestClient tc_ = makeTestClient(clock_);
};

TEST_F(RequestsTest, GetBuildsCorePathWithAcceptAndNoBody) {
  tc_.fake->pushResponse(200, kCm);
  auto got = tc_.client->get(ctrl::resources::configMap(), "ns1", "cm1");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ((*got)["metadata"]["name"], "cm1");
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "GET");
  EXPECT_EQ(req.target, "/api/v1/namespaces/ns1/configmaps/cm1");
  EXPECT_EQ(header(req, "Accept"), "application/json");
  EXPECT_EQ(header(req, "Content-Type"), "<absent>");
  EXPECT_TRUE(req.body.empty());
}

// The transport stops reading a body at the client's limit, so a huge
// answer is refused before it is held in memory.
TEST(RequestLimitsTest, TheResponseSizeLimitTravelsWithEveryRequest) {
  JumpClock clock;
  ctrl::ClientOptions options;
  options.maxResponseBytes = 12345;
  auto tc = makeTestClient(clock, {}, options);
  tc.fake->pushResponse(200, kCm);
  tc.fake->pushResponse(201, kCm);
  ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns1", "cm1").isOk());
  ASSERT_TRUE(tc.client->create(ctrl::resources::configMap(), "ns1", Json::parse(kCm)).isOk());
  for (const auto& recorded : tc.fake->requests()) {
    EXPECT_EQ(recorded.request.maxResponseBytes, 12345u) << recorded.request.method;
  }
}

TEST_F(RequestsTest, GetClusterScopedIgnoresNamespace) {
  tc_.fake->pushResponse(200, R"({"kind":"Namespace"})");
  ASSERT_TRUE(tc_.client->get(ctrl::resources::namespace_(), "", "default").isOk());
  EXPECT_EQ(tc_.fake->last().target, "/api/v1/namespaces/default");
  tc_.fake->pushResponse(200, R"({"kind":"ClusterRole"})");
  ASSERT_TRUE(tc_.client->get(ctrl::resources::clusterRole(), "ignored", "admin").isOk());
  EXPECT_EQ(tc_.fake->last().target, "/apis/rbac.authorization.k8s.io/v1/clusterroles/admin");
}

TEST_F(RequestsTest, GetWithEmptyNameIsRejectedWithoutARequest) {
  auto got = tc_.client->get(ctrl::resources::secret(), "ns", "");
  EXPECT_EQ(got.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(tc_.fake->requestCount(), 0u);
}

TEST_F(RequestsTest, ListSendsEverySelectorAndPagingParameter) {
  tc_.fake->pushResponse(200,
                         R"({"kind":"LeaseList","metadata":{"resourceVersion":"9"},"items":[]})");
  ctrl::ListOptions options;
  options.labelSelector = "app=a,tier in (x,y)";
  options.fieldSelector = "metadata.name=n";
  options.limit = 250;
  options.continueToken = "tok+/=";
  options.resourceVersion = "5";
  ASSERT_TRUE(tc_.client->list(ctrl::resources::lease(), "ns", options).isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "GET");
  Target t = parseTarget(req.target);
  EXPECT_EQ(t.path, "/apis/coordination.k8s.io/v1/namespaces/ns/leases");
  EXPECT_THAT(t.query,
              ElementsAre(Pair("continue", "tok+/="), Pair("fieldSelector", "metadata.name=n"),
                          Pair("labelSelector", "app=a,tier in (x,y)"), Pair("limit", "250"),
                          Pair("resourceVersion", "5")));
  // Escaped on the wire: no raw space, '=' or '+' inside values.
  EXPECT_EQ(req.target.find(' '), std::string::npos);
  EXPECT_NE(req.target.find("labelSelector=app%3Da%2Ctier%20in%20%28x%2Cy%29"), std::string::npos);
}

TEST_F(RequestsTest, ListWithoutLimitAcrossNamespacesHasNoQuery) {
  tc_.fake->pushResponse(200, R"({"kind":"SecretList","metadata":{},"items":[]})");
  ctrl::ListOptions options;
  options.limit = 0;
  ASSERT_TRUE(tc_.client->list(ctrl::resources::secret(), "", options).isOk());
  EXPECT_EQ(tc_.fake->last().target, "/api/v1/secrets");
}

TEST_F(RequestsTest, ListItemsGetKindAndApiVersionAndPageMetadata) {
  tc_.fake->pushResponse(200, R"({"kind":"LeaseList","apiVersion":"coordination.k8s.io/v1",
      "metadata":{"resourceVersion":"42","continue":"next"},
      "items":[{"metadata":{"name":"a"}},{"metadata":{"name":"b"}}]})");
  auto page = tc_.client->list(ctrl::resources::lease(), "ns", {});
  ASSERT_TRUE(page.isOk()) << page.status().toString();
  EXPECT_EQ(page->resourceVersion, "42");
  EXPECT_EQ(page->continueToken, "next");
  ASSERT_EQ(page->items->size(), 2u);
  for (const Json& item : *page->items) {
    EXPECT_EQ(item["kind"], "Lease");
    EXPECT_EQ(item["apiVersion"], "coordination.k8s.io/v1");
  }
  EXPECT_EQ((*page->items)[1]["metadata"]["name"], "b");
  EXPECT_EQ(parseTarget(tc_.fake->last().target).query.at("limit"), "500");  // the default page
}

TEST_F(RequestsTest, ListWithNullItemsIsAnEmptyLastPage) {
  tc_.fake->pushResponse(
      200, R"({"kind":"SecretList","metadata":{"resourceVersion":"3"},"items":null})");
  auto page = tc_.client->list(ctrl::resources::secret(), "ns", {});
  ASSERT_TRUE(page.isOk());
  EXPECT_TRUE(page->items->is_array());
  EXPECT_TRUE(page->items->empty());
  EXPECT_EQ(page->continueToken, "");
}

TEST_F(RequestsTest, CreatePostsTheObjectOnceWithFieldManager) {
  Json cm =
      Json::parse(R"({"metadata":{"name":"cm1","namespace":"from-object"},"data":{"k":"v"}})");
  tc_.fake->pushResponse(201, kCm);
  ASSERT_TRUE(tc_.client->create(ctrl::resources::configMap(), "", cm).isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "POST");
  Target t = parseTarget(req.target);
  EXPECT_EQ(t.path, "/api/v1/namespaces/from-object/configmaps");
  EXPECT_THAT(t.query, ElementsAre(Pair("fieldManager", "servicetoken-operator")));
  EXPECT_EQ(header(req, "Content-Type"), "application/json");
  EXPECT_EQ(header(req, "Accept"), "application/json");
  EXPECT_EQ(Json::parse(req.body), cm);
}

TEST_F(RequestsTest, CreateDryRunAndExplicitFieldManager) {
  tc_.fake->pushResponse(201, kCm);
  ctrl::WriteOptions options;
  options.dryRun = true;
  options.fieldManager = "tester";
  ASSERT_TRUE(
      tc_.client->create(ctrl::resources::configMap(), "ns", Json::parse(kCm), options).isOk());
  EXPECT_THAT(parseTarget(tc_.fake->last().target).query,
              ElementsAre(Pair("dryRun", "All"), Pair("fieldManager", "tester")));
}

TEST_F(RequestsTest, ClientFieldManagerDefaultsFromOptionsThenUserAgent) {
  ctrl::RestConfig config;
  config.userAgent = "my-agent";
  auto byAgent = makeTestClient(clock_, config);
  byAgent.fake->pushResponse(201, kCm);
  ASSERT_TRUE(byAgent.client->create(ctrl::resources::configMap(), "ns", Json::parse(kCm)).isOk());
  EXPECT_EQ(parseTarget(byAgent.fake->last().target).query.at("fieldManager"), "my-agent");

  ctrl::ClientOptions options;
  options.fieldManager = "explicit";
  auto byOption = makeTestClient(clock_, config, options);
  byOption.fake->pushResponse(201, kCm);
  ASSERT_TRUE(byOption.client->create(ctrl::resources::configMap(), "ns", Json::parse(kCm)).isOk());
  EXPECT_EQ(parseTarget(byOption.fake->last().target).query.at("fieldManager"), "explicit");
}

TEST_F(RequestsTest, UpdatePutsToTheNamedObject) {
  Json cm = Json::parse(R"({"metadata":{"name":"cm1","resourceVersion":"7"}})");
  tc_.fake->pushResponse(200, kCm);
  ASSERT_TRUE(tc_.client->update(ctrl::resources::configMap(), "ns", cm).isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(parseTarget(req.target).path, "/api/v1/namespaces/ns/configmaps/cm1");
  EXPECT_EQ(header(req, "Content-Type"), "application/json");
  EXPECT_EQ(Json::parse(req.body), cm);
}

TEST_F(RequestsTest, UpdateWithoutNameIsRejectedWithoutARequest) {
  auto got = tc_.client->update(ctrl::resources::configMap(), "ns", Json::parse(R"({"data":{}})"));
  EXPECT_EQ(got.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(tc_.fake->requestCount(), 0u);
}

TEST_F(RequestsTest, UpdateStatusPutsToTheStatusSubresource) {
  ctrl::Resource widgets{"example.dev", "v1alpha1", "widgets", "Widget", true};
  tc_.fake->pushResponse(200, R"({"kind":"Widget"})");
  ASSERT_TRUE(
      tc_.client->updateStatus(widgets, "ns", Json::parse(R"({"metadata":{"name":"w"}})")).isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "PUT");
  EXPECT_EQ(parseTarget(req.target).path,
            "/apis/example.dev/v1alpha1/namespaces/ns/widgets/w/status");
}

TEST_F(RequestsTest, PatchContentTypesPerPatchType) {
  const std::pair<ctrl::PatchType, const char*> cases[] = {
      {ctrl::PatchType::kMerge, "application/merge-patch+json"},
      {ctrl::PatchType::kJson, "application/json-patch+json"},
      {ctrl::PatchType::kApply, "application/apply-patch+yaml"},
  };
  for (const auto& [type, contentType] : cases) {
    tc_.fake->pushResponse(200, kCm);
    Json body = type == ctrl::PatchType::kJson
                    ? Json::parse(R"([{"op":"add","path":"/data/k","value":"v"}])")
                    : Json::parse(R"({"data":{"k":"v"}})");
    ASSERT_TRUE(tc_.client->patch(ctrl::resources::configMap(), "ns", "cm1", type, body).isOk());
    auto req = tc_.fake->last();
    EXPECT_EQ(req.method, "PATCH");
    EXPECT_EQ(parseTarget(req.target).path, "/api/v1/namespaces/ns/configmaps/cm1");
    EXPECT_EQ(header(req, "Content-Type"), contentType);
  }
}

TEST_F(RequestsTest, MergePatchBodyIsSentAsGiven) {
  tc_.fake->pushResponse(200, kCm);
  Json body = Json::parse(R"({"data":{"k":null}})");
  ASSERT_TRUE(
      tc_.client->patch(ctrl::resources::configMap(), "ns", "cm1", ctrl::PatchType::kMerge, body)
          .isOk());
  EXPECT_EQ(Json::parse(tc_.fake->last().body), body);
  EXPECT_EQ(parseTarget(tc_.fake->last().target).query.count("force"), 0u);
}

TEST_F(RequestsTest, ApplyAddsTypeMetaForceAndFieldManagerOnStatus) {
  ctrl::Resource widgets{"example.dev", "v1alpha1", "widgets", "Widget", true};
  tc_.fake->pushResponse(200, R"({"kind":"Widget"})");
  ctrl::PatchOptions options;
  options.subresource = "status";
  options.force = true;
  options.fieldManager = "issuer";
  options.dryRun = true;
  Json body = Json::parse(R"({"metadata":{"name":"w"},"status":{"phase":"Ready"}})");
  ASSERT_TRUE(tc_.client->patch(widgets, "ns", "w", ctrl::PatchType::kApply, body, options).isOk());
  auto req = tc_.fake->last();
  Target t = parseTarget(req.target);
  EXPECT_EQ(t.path, "/apis/example.dev/v1alpha1/namespaces/ns/widgets/w/status");
  EXPECT_THAT(t.query, ElementsAre(Pair("dryRun", "All"), Pair("fieldManager", "issuer"),
                                   Pair("force", "true")));
  Json sent = Json::parse(req.body);
  EXPECT_EQ(sent["apiVersion"], "example.dev/v1alpha1");
  EXPECT_EQ(sent["kind"], "Widget");
  EXPECT_EQ(sent["status"]["phase"], "Ready");
}

TEST_F(RequestsTest, ApplyKeepsTypeMetaTheCallerSet) {
  tc_.fake->pushResponse(200, kCm);
  Json body = Json::parse(R"({"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm1"}})");
  ASSERT_TRUE(
      tc_.client->patch(ctrl::resources::configMap(), "ns", "cm1", ctrl::PatchType::kApply, body)
          .isOk());
  EXPECT_EQ(Json::parse(tc_.fake->last().body), body);
}

// A body written as text goes out byte for byte, with the path, query and
// headers the object overloads give it.
TEST_F(RequestsTest, TextWritesSendTheTextAsIsWithTheSameTargetAndHeaders) {
  const std::string text = R"({"metadata":{"name":"cm1"},"data":{"k":"v \u00e9"}})";
  tc_.fake->pushResponse(201, kCm);
  ctrl::WriteOptions write;
  write.dryRun = true;
  ASSERT_TRUE(
      tc_.client->createText(ctrl::resources::configMap(), "ns", ctrl::JsonText{text}, write)
          .isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "POST");
  Target t = parseTarget(req.target);
  EXPECT_EQ(t.path, "/api/v1/namespaces/ns/configmaps");
  EXPECT_THAT(t.query,
              ElementsAre(Pair("dryRun", "All"), Pair("fieldManager", "servicetoken-operator")));
  EXPECT_EQ(header(req, "Content-Type"), "application/json");
  EXPECT_EQ(req.body, text);

  ctrl::Resource widgets{"example.dev", "v1alpha1", "widgets", "Widget", true};
  const std::pair<ctrl::PatchType, const char*> cases[] = {
      {ctrl::PatchType::kMerge, "application/merge-patch+json"},
      {ctrl::PatchType::kJson, "application/json-patch+json"},
      {ctrl::PatchType::kApply, "application/apply-patch+yaml"},
  };
  for (const auto& [type, contentType] : cases) {
    tc_.fake->pushResponse(200, R"({"kind":"Widget"})");
    ctrl::PatchOptions options;
    options.subresource = "status";
    options.force = true;
    const std::string patch = R"({"status":{"phase":"Ready"}})";
    ASSERT_TRUE(
        tc_.client->patchText(widgets, "ns", "w", type, ctrl::JsonText{patch}, options).isOk());
    req = tc_.fake->last();
    EXPECT_EQ(req.method, "PATCH");
    t = parseTarget(req.target);
    EXPECT_EQ(t.path, "/apis/example.dev/v1alpha1/namespaces/ns/widgets/w/status");
    EXPECT_EQ(t.query.count("force"), type == ctrl::PatchType::kApply ? 1u : 0u);
    EXPECT_EQ(header(req, "Content-Type"), contentType);
    // Sent as given: no apiVersion or kind added, even for apply.
    EXPECT_EQ(req.body, patch);
  }
  EXPECT_EQ(tc_.client->patchText(widgets, "ns", "", ctrl::PatchType::kMerge, ctrl::JsonText{"{}"})
                .status()
                .code(),
            ctrl::Code::kInvalidArgument);
}

// What a text write answers is decoded as the object overloads' answer is.
TEST_F(RequestsTest, TextWritesAnswerAsTheObjectOverloads) {
  tc_.fake->pushResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  EXPECT_EQ(tc_.client->createText(ctrl::resources::configMap(), "ns", ctrl::JsonText{kCm})
                .status()
                .code(),
            ctrl::Code::kAlreadyExists);
  tc_.fake->pushResponse(201, kCm);
  auto made = tc_.client->createText(ctrl::resources::configMap(), "ns", ctrl::JsonText{kCm});
  ASSERT_TRUE(made.isOk());
  EXPECT_EQ((*made)["metadata"]["name"], "cm1");
}

TEST_F(RequestsTest, RemoveWithoutOptionsSendsNoBody) {
  tc_.fake->pushResponse(200, R"({"kind":"Status","status":"Success"})");
  ASSERT_TRUE(tc_.client->remove(ctrl::resources::secret(), "ns", "s1").isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "DELETE");
  EXPECT_EQ(req.target, "/api/v1/namespaces/ns/secrets/s1");
  EXPECT_TRUE(req.body.empty());
  EXPECT_EQ(header(req, "Content-Type"), "<absent>");
}

TEST_F(RequestsTest, RemoveSendsPreconditionsAndPropagation) {
  tc_.fake->pushResponse(202, R"({"kind":"Secret"})");
  ctrl::DeleteOptions options;
  options.preconditionUid = "uid-1";
  options.preconditionResourceVersion = "12";
  options.propagationPolicy = "Foreground";
  ASSERT_TRUE(tc_.client->remove(ctrl::resources::secret(), "ns", "s1", options).isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(header(req, "Content-Type"), "application/json");
  Json sent = Json::parse(req.body);
  EXPECT_EQ(sent["kind"], "DeleteOptions");
  EXPECT_EQ(sent["preconditions"]["uid"], "uid-1");
  EXPECT_EQ(sent["preconditions"]["resourceVersion"], "12");
  EXPECT_EQ(sent["propagationPolicy"], "Foreground");
}

TEST_F(RequestsTest, CreateSubresourcePostsToIt) {
  tc_.fake->pushResponse(201, R"({"kind":"TokenRequest","status":{"token":"x"}})");
  Json request =
      Json::parse(R"({"apiVersion":"authentication.k8s.io/v1","kind":"TokenRequest","spec":{}})");
  auto got = tc_.client->createSubresource(ctrl::resources::serviceAccount(), "ns", "sa", "token",
                                           request);
  ASSERT_TRUE(got.isOk());
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.target, "/api/v1/namespaces/ns/serviceaccounts/sa/token");
  EXPECT_EQ(Json::parse(req.body), request);
}

TEST_F(RequestsTest, WatchRequestsAStreamWithBookmarksAndALongIdleTimeout) {
  tc_.fake->pushStream({});
  ctrl::WatchOptions options;
  options.resourceVersion = "77";
  options.labelSelector = "servicetoken.dev/managed=true";
  options.timeoutSeconds = 300;
  auto status = tc_.client->watch(ctrl::resources::secret(), "ns", options,
                                  [](const ctrl::WatchEvent&) { return true; }, {});
  ASSERT_TRUE(status.isOk()) << status.toString();
  auto req = tc_.fake->last();
  EXPECT_EQ(req.method, "GET");
  Target t = parseTarget(req.target);
  EXPECT_EQ(t.path, "/api/v1/namespaces/ns/secrets");
  EXPECT_THAT(t.query, ElementsAre(Pair("allowWatchBookmarks", "true"),
                                   Pair("labelSelector", "servicetoken.dev/managed=true"),
                                   Pair("resourceVersion", "77"), Pair("timeoutSeconds", "300"),
                                   Pair("watch", "1")));
  EXPECT_EQ(header(req, "Accept"), "application/json");
  EXPECT_GT(req.timeout, std::chrono::seconds(300));
}

TEST_F(RequestsTest, WatchWithoutBookmarksOmitsTheParameter) {
  tc_.fake->pushStream({});
  ctrl::WatchOptions options;
  options.allowBookmarks = false;
  ASSERT_TRUE(tc_.client
                  ->watch(ctrl::resources::configMap(), "", options,
                          [](const ctrl::WatchEvent&) { return true; }, {})
                  .isOk());
  Target t = parseTarget(tc_.fake->last().target);
  EXPECT_EQ(t.path, "/api/v1/configmaps");
  EXPECT_EQ(t.query.count("allowWatchBookmarks"), 0u);
}

}  // namespace
}  // namespace sttest
