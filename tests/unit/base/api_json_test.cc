// parseApiJson: server-side apply's bookkeeping (metadata.managedFields) is
// left out of API documents as they are parsed, and nothing else is; with
// metadataOnly, so is every member of the root but apiVersion, kind and
// metadata.
#include <gtest/gtest.h>

#include <string>

#include "controller/json.h"
#include "mocks/managed_fields.h"
#include "mocks/metadata_only.h"

namespace ctrl {
namespace {

// A ServiceToken as the API server sends it (shortened).
const std::string kToken = R"({"apiVersion":"servicetoken.dev/v1alpha1","kind":"ServiceToken",)"
                           R"("metadata":{"name":"api","namespace":"team-a","uid":"u-1",)"
                           R"("resourceVersion":"7","generation":1,)"
                           R"("managedFields":[{"manager":"kubectl","operation":"Update",)"
                           R"("fieldsType":"FieldsV1","fieldsV1":{"f:spec":{".":{},)"
                           R"("f:displayName":{}}}},{"manager":"servicetoken-operator",)"
                           R"("subresource":"status","fieldsV1":{"f:status":{"f:phase":{}}}}],)"
                           R"("annotations":{"managedFields":"[\"kept\"]"}},)"
                           R"("spec":{"displayName":"API","managedFields":[1]},)"
                           R"("status":{"phase":"Active"}})";

Json expected(const std::string& text) {
  Json j = Json::parse(text);
  sttest::eraseManagedFields(j);
  return j;
}

TEST(ParseApiJson, LeavesOutTheObjectsManagedFieldsOnly) {
  auto api = parseApiJson(kToken);
  ASSERT_TRUE(api.isOk()) << api.status().toString();
  const Json& parsed = *api;
  EXPECT_EQ(parsed, expected(kToken));
  EXPECT_FALSE(parsed["metadata"].contains("managedFields"));
  // Members of that name elsewhere, and text that only looks like one, stay.
  EXPECT_EQ(parsed["metadata"]["annotations"]["managedFields"], "[\"kept\"]");
  EXPECT_EQ(parsed["spec"]["managedFields"], Json::array({1}));
  EXPECT_EQ(parsed["metadata"]["resourceVersion"], "7");
}

TEST(ParseApiJson, AnyPlaceInTheMetadataAndAnyValue) {
  for (const std::string text : {
           R"({"metadata":{"managedFields":[{"a":{}}],"name":"x"}})",
           R"({"metadata":{"name":"x","managedFields":[{"a":"}"}]}})",
           R"({"metadata":{"managedFields":[]}})",
           R"({"metadata":{"managedFields":null,"managedFields":[1],"name":"x"}})",
           R"({"metadata":{"managedFields":"x","name":{"metadata":{"managedFields":7}}}})",
           R"([{"metadata":{"managedFields":[[[]]],"a":[{"b":null}]}},{"metadata":[]}])",
           R"({ "metadata" : { "name" : "x" ,
                "managedFields" : [ { "f:x" : { } } ] ,
                "uid" : "u" } })",
       }) {
    auto api = parseApiJson(text);
    ASSERT_TRUE(api.isOk()) << text;
    EXPECT_EQ(*api, expected(text)) << text;
  }
}

TEST(ParseApiJson, ListsAndWatchEventsLoseThemAtEveryItem) {
  const std::string list = R"({"kind":"SecretList","metadata":{"resourceVersion":"9"},"items":[)" +
                           kToken + "," + kToken + "]}";
  auto api = parseApiJson(list);
  ASSERT_TRUE(api.isOk());
  EXPECT_EQ(*api, expected(list));
  const std::string event = R"({"type":"MODIFIED","object":)" + kToken + "}";
  api = parseApiJson(event);
  ASSERT_TRUE(api.isOk());
  EXPECT_EQ(*api, expected(event));
}

// Skipped values are still checked: what parseJson() refuses, this refuses
// too, with the same message (the fuzz target json_fuzzer found an invalid
// managedFields accepted by an earlier, textual cut).
TEST(ParseApiJson, InvalidJsonInsideManagedFieldsIsStillRefused) {
  for (const std::string text : {
           R"({"metadata":{"managedFields":[{"f:type":2{}}],"name":"x"}})",
           R"({"metadata":{"managedFields":[1,],"name":"x"}})",
           R"({"metadata":{"managedFields":"\x"}})",
           R"({"metadata":{"managedFields":[1e999]}})",
           R"({"metadata":{"managedFields":[]}} trailing)",
       }) {
    auto plain = parseJson(text);
    auto api = parseApiJson(text);
    ASSERT_FALSE(plain.isOk()) << text;
    ASSERT_FALSE(api.isOk()) << text;
    EXPECT_EQ(api.status().message(), plain.status().message()) << text;
  }
}

// Every prefix of a document (a connection cut mid-body): parseApiJson fails
// exactly when parseJson fails, and agrees with it otherwise.
TEST(ParseApiJson, AgreesWithParseJsonOnEveryPrefix) {
  const std::string list = R"({"items":[)" + kToken + "," + kToken + "]}";
  for (size_t n = 0; n <= list.size(); ++n) {
    const std::string_view prefix = std::string_view(list).substr(0, n);
    auto plain = parseJson(prefix);
    auto api = parseApiJson(prefix);
    ASSERT_EQ(plain.isOk(), api.isOk()) << "prefix of " << n << " bytes";
    if (!plain.isOk()) {
      EXPECT_EQ(api.status().message(), plain.status().message());
      continue;
    }
    Json want = *plain;
    sttest::eraseManagedFields(want);
    EXPECT_EQ(*api, want);
  }
}

TEST(ParseApiJson, TheLimitsApplyToTheTextAsReceived) {
  const auto tooLarge = parseApiJson(kToken, JsonLimits{.maxBytes = kToken.size() - 1});
  ASSERT_FALSE(tooLarge.isOk());
  EXPECT_NE(tooLarge.status().message().find("exceeds the limit"), std::string::npos);
  // managedFields' own nesting counts, even though it is cut.
  EXPECT_FALSE(parseApiJson(kToken, JsonLimits{.maxDepth = 6}).isOk());
  EXPECT_TRUE(parseApiJson(kToken, JsonLimits{.maxDepth = 7}).isOk());
}

// What metadataOnly builds: the reference cut of parseJson's tree, with
// managedFields dropped or kept as asked.
Json expectedMetadataOnly(const std::string& text, bool dropManagedFields) {
  Json j = Json::parse(text);
  sttest::keepTypeAndMetadata(j);
  if (dropManagedFields) sttest::eraseManagedFields(j);
  return j;
}

ApiJsonOptions metadataOnly(bool dropManagedFields) {
  return {.dropManagedFields = dropManagedFields, .metadataOnly = true};
}

TEST(ParseApiJsonMetadataOnly, KeepsTypeAndMetadataWithOrWithoutManagedFields) {
  for (const bool drop : {true, false}) {
    auto api = parseApiJson(kToken, {}, metadataOnly(drop));
    ASSERT_TRUE(api.isOk()) << api.status().toString();
    const Json& parsed = *api;
    EXPECT_EQ(parsed, expectedMetadataOnly(kToken, drop)) << "drop " << drop;
    EXPECT_EQ(parsed.size(), 3u) << parsed.dump();
    EXPECT_EQ(parsed["apiVersion"], "servicetoken.dev/v1alpha1");
    EXPECT_EQ(parsed["kind"], "ServiceToken");
    EXPECT_EQ(parsed["metadata"]["resourceVersion"], "7");
    EXPECT_EQ(parsed["metadata"]["annotations"]["managedFields"], "[\"kept\"]");
    EXPECT_EQ(parsed["metadata"].contains("managedFields"), !drop);
    EXPECT_FALSE(parsed.contains("spec"));
    EXPECT_FALSE(parsed.contains("status"));
  }
}

TEST(ParseApiJsonMetadataOnly, DropsEveryOtherMemberOfTheRootOnly) {
  const std::string secret =
      R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s","resourceVersion":"3",)"
      R"("labels":{"data":"x","spec":"y"}},"type":"Opaque","data":{"token":"c2VjcmV0"},)"
      R"("immutable":false})";
  auto api = parseApiJson(secret, {}, metadataOnly(true));
  ASSERT_TRUE(api.isOk()) << api.status().toString();
  EXPECT_EQ(*api, Json::parse(R"({"kind":"Secret","apiVersion":"v1","metadata":{"name":"s",)"
                              R"("resourceVersion":"3","labels":{"data":"x","spec":"y"}}})"));

  const std::string list = R"({"kind":"SecretList","apiVersion":"v1",)"
                           R"("metadata":{"resourceVersion":"9"},"items":[)" +
                           kToken + "]}";
  api = parseApiJson(list, {}, metadataOnly(true));
  ASSERT_TRUE(api.isOk()) << api.status().toString();
  EXPECT_FALSE(api->contains("items"));
  EXPECT_EQ((*api)["metadata"]["resourceVersion"], "9");

  for (const std::string text : {
           R"({})",
           R"({"spec":{"kind":"x","metadata":{"name":"inner"}}})",
           R"({"metadata":null,"kind":7,"apiVersion":[1,{"spec":2}]})",
           R"({"spec":1,"metadata":{"name":"a"},"metadata":{"name":"b"},"spec":2})",
           R"({"Kind":"x","metadata ":{},"apiversion":"v1","kind":"K"})",
           R"({ "status" : { "phase" : "Active" } ,
                "metadata" : { "managedFields" : [ ] , "name" : "x" } })",
       }) {
    for (const bool drop : {true, false}) {
      auto got = parseApiJson(text, {}, metadataOnly(drop));
      ASSERT_TRUE(got.isOk()) << text;
      EXPECT_EQ(*got, expectedMetadataOnly(text, drop)) << text;
    }
  }
}

TEST(ParseApiJsonMetadataOnly, ARootThatIsNotAnObjectIsBuiltWhole) {
  for (const std::string text :
       {R"([{"spec":1,"metadata":{"name":"x"}}])", R"("spec")", "5", "null", "[]"}) {
    auto got = parseApiJson(text, {}, metadataOnly(false));
    ASSERT_TRUE(got.isOk()) << text;
    EXPECT_EQ(*got, Json::parse(text)) << text;
  }
}

// What parseJson() refuses, this refuses too, with the same message, though
// the bad value is inside a member that is never built.
TEST(ParseApiJsonMetadataOnly, InvalidJsonInsideASkippedMemberIsStillRefused) {
  for (const std::string text : {
           R"({"kind":"A","spec":{"f":2{}},"metadata":{"name":"x"}})",
           R"({"metadata":{},"data":[1,]})",
           R"({"status":"\x","metadata":{}})",
           R"({"items":[1e999],"metadata":{}})",
           R"({"spec":{}} trailing)",
           R"({"spec":{"a":tru}})",
           R"({"spec":{"a":"unterminated})",
       }) {
    auto plain = parseJson(text);
    ASSERT_FALSE(plain.isOk()) << text;
    for (const bool drop : {true, false}) {
      auto api = parseApiJson(text, {}, metadataOnly(drop));
      ASSERT_FALSE(api.isOk()) << text;
      EXPECT_EQ(api.status().message(), plain.status().message()) << text;
    }
  }
}

TEST(ParseApiJsonMetadataOnly, AgreesWithParseJsonOnEveryPrefix) {
  const std::string list = R"({"kind":"List","items":[)" + kToken + "," + kToken +
                           R"(],"metadata":{"resourceVersion":"9"}})";
  for (size_t n = 0; n <= list.size(); ++n) {
    const std::string_view prefix = std::string_view(list).substr(0, n);
    auto plain = parseJson(prefix);
    auto api = parseApiJson(prefix, {}, metadataOnly(true));
    ASSERT_EQ(plain.isOk(), api.isOk()) << "prefix of " << n << " bytes";
    if (!plain.isOk()) {
      EXPECT_EQ(api.status().message(), plain.status().message());
      continue;
    }
    EXPECT_EQ(*api, expectedMetadataOnly(std::string(prefix), true));
  }
}

TEST(ParseApiJsonMetadataOnly, TheLimitsApplyToTheTextAsReceived) {
  const auto tooLarge =
      parseApiJson(kToken, JsonLimits{.maxBytes = kToken.size() - 1}, metadataOnly(true));
  ASSERT_FALSE(tooLarge.isOk());
  EXPECT_NE(tooLarge.status().message().find("exceeds the limit"), std::string::npos);
  // The skipped spec's nesting counts.
  const std::string deep = R"({"metadata":{},"spec":{"a":{"b":{"c":{}}}}})";
  EXPECT_FALSE(parseApiJson(deep, JsonLimits{.maxDepth = 4}, metadataOnly(true)).isOk());
  EXPECT_TRUE(parseApiJson(deep, JsonLimits{.maxDepth = 5}, metadataOnly(true)).isOk());
}

// Without either cut, parseApiJson builds what parseJson builds.
TEST(ParseApiJson, KeepsManagedFieldsWhenNotAskedToDropThem) {
  auto api = parseApiJson(kToken, {}, ApiJsonOptions{.dropManagedFields = false});
  ASSERT_TRUE(api.isOk()) << api.status().toString();
  EXPECT_EQ(*api, Json::parse(kToken));
}

}  // namespace
}  // namespace ctrl
