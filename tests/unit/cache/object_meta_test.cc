// ObjectMeta decoding: every field the cache keeps, and malformed input
// turned into InvalidArgument naming the field (never an exception).
#include "controller/object_meta.h"

#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace {

using ctrl::Code;
using ctrl::Json;
using namespace std::chrono;

TEST(ObjectMetaTest, DecodesEveryField) {
  Json meta = Json::parse(R"({
    "name": "tok", "namespace": "team-a", "uid": "u-1", "resourceVersion": "42",
    "generation": 3,
    "labels": {"app": "x"},
    "annotations": {"note": "y"},
    "ownerReferences": [
      {"apiVersion": "v1", "kind": "ConfigMap", "name": "cm", "uid": "u-0"},
      {"apiVersion": "servicetoken.dev/v1", "kind": "ServiceToken", "name": "st", "uid": "u-9",
       "controller": true, "blockOwnerDeletion": true}
    ],
    "creationTimestamp": "2026-01-02T03:04:05Z",
    "deletionTimestamp": "2026-01-02T03:04:06Z",
    "managedFields": [{"manager": "ignored"}]
  })");
  auto decoded = ctrl::decodeObjectMeta(meta);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  const ctrl::ObjectMeta& m = *decoded;
  EXPECT_EQ(m.name, "tok");
  EXPECT_EQ(m.namespace_, "team-a");
  EXPECT_EQ(m.uid, "u-1");
  EXPECT_EQ(m.resourceVersion, "42");
  EXPECT_EQ(m.generation, 3);
  EXPECT_EQ(m.labels.get("app"), "x");
  EXPECT_EQ(m.annotations.get("note"), "y");
  ASSERT_EQ(m.ownerReferences.size(), 2u);
  EXPECT_FALSE(m.ownerReferences[0].controller);
  ASSERT_NE(m.controllerRef(), nullptr);
  EXPECT_EQ(m.controllerRef()->uid, "u-9");
  EXPECT_TRUE(m.controllerRef()->blockOwnerDeletion);
  EXPECT_EQ(m.creationTimestamp, sys_days{year{2026} / 1 / 2} + 3h + 4min + 5s);
  ASSERT_TRUE(m.deletionTimestamp.has_value());
  EXPECT_EQ(*m.deletionTimestamp - m.creationTimestamp, 1s);
  EXPECT_EQ(m.key(), "team-a/tok");
}

TEST(ObjectMetaTest, AbsentFieldsKeepDefaults) {
  auto decoded = ctrl::decodeObjectMetaOf(Json::parse(R"({"metadata": {"name": "n"}})"));
  ASSERT_TRUE(decoded.isOk());
  EXPECT_EQ(decoded->key(), "n");  // cluster-scoped key
  EXPECT_EQ(decoded->generation, 0);
  EXPECT_TRUE(decoded->labels.empty());
  EXPECT_FALSE(decoded->deletionTimestamp.has_value());
  EXPECT_EQ(decoded->controllerRef(), nullptr);
}

TEST(ObjectMetaTest, MalformedFieldsAreInvalidArgumentNamingTheField) {
  struct Case {
    const char* json;
    const char* field;
  } cases[] = {
      {R"({})", "metadata.name"},
      {R"({"name": 5})", "metadata.name"},
      {R"({"name": "n", "labels": {"a": 1}})", "metadata.labels"},
      {R"({"name": "n", "labels": []})", "metadata.labels"},
      {R"({"name": "n", "generation": "3"})", "metadata.generation"},
      {R"({"name": "n", "ownerReferences": {}})", "metadata.ownerReferences"},
      {R"({"name": "n", "ownerReferences": [{"controller": "yes"}]})", "ownerReferences"},
      {R"({"name": "n", "creationTimestamp": "yesterday"})", "metadata.creationTimestamp"},
      {R"({"name": "n", "deletionTimestamp": 7})", "metadata.deletionTimestamp"},
  };
  for (const auto& c : cases) {
    auto decoded = ctrl::decodeObjectMeta(Json::parse(c.json));
    ASSERT_FALSE(decoded.isOk()) << c.json;
    EXPECT_EQ(decoded.status().code(), Code::kInvalidArgument) << c.json;
    EXPECT_NE(decoded.status().message().find(c.field), std::string::npos)
        << c.json << " -> " << decoded.status().message();
  }
  EXPECT_FALSE(ctrl::decodeObjectMeta(Json::array()).isOk());
  EXPECT_FALSE(ctrl::decodeObjectMetaOf(Json::parse(R"({"kind": "X"})")).isOk());
  EXPECT_FALSE(ctrl::decodeObjectMetaOf(Json("text")).isOk());
}

TEST(ObjectMetaTest, ParsesRfc3339Variants) {
  const auto base = sys_days{year{2026} / 3 / 4} + 5h + 6min + 7s;
  EXPECT_EQ(*ctrl::parseRfc3339("2026-03-04T05:06:07Z"), base);
  EXPECT_EQ(*ctrl::parseRfc3339("2026-03-04T05:06:07.250000Z"), base + 250ms);
  EXPECT_EQ(*ctrl::parseRfc3339("2026-03-04T07:06:07+02:00"), base);
  EXPECT_EQ(*ctrl::parseRfc3339("2026-03-04T04:36:07-00:30"), base);
  for (const char* bad :
       {"", "2026-03-04", "2026-03-04T05:06:07", "2026-13-04T05:06:07Z", "2026-02-30T05:06:07Z",
        "2026-03-04T05:06:07.Z", "2026-03-04T05:06:07Zjunk", "2026-03-04T25:06:07Z"}) {
    EXPECT_FALSE(ctrl::parseRfc3339(bad).isOk()) << bad;
  }
}

// Found by fuzzing (tests/fuzz, watch_line and codec): years outside what a
// nanosecond WallTime holds overflowed while converting (undefined behaviour;
// in practice a wrapped, wrong time). Token Secrets carry user-editable
// timestamps, so these must be errors.
TEST(ObjectMetaTest, Rfc3339OutsideTheClockRangeIsAnError) {
  for (const char* far :
       {"9999-12-31T23:59:59Z", "0419-01-02T03:04:05Z", "0000-01-01T00:00:00Z",
        "2262-04-11T23:47:16Z", "1677-09-21T00:12:43Z", "2262-04-11T22:47:16-01:00"}) {
    auto t = ctrl::parseRfc3339(far);
    ASSERT_FALSE(t.isOk()) << far;
    EXPECT_EQ(t.status().code(), ctrl::Code::kInvalidArgument) << far;
  }
  // The last and first whole seconds that fit, with the largest fraction.
  auto last = ctrl::parseRfc3339("2262-04-11T23:47:15.999999999Z");
  ASSERT_TRUE(last.isOk());
  EXPECT_EQ(ctrl::formatRfc3339(*last), "2262-04-11T23:47:15Z");
  auto first = ctrl::parseRfc3339("1677-09-21T00:12:44Z");
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(ctrl::formatRfc3339(*first), "1677-09-21T00:12:44Z");

  auto meta =
      ctrl::decodeObjectMeta(Json{{"name", "a"}, {"creationTimestamp", "9999-12-31T23:59:59Z"}});
  ASSERT_FALSE(meta.isOk());
  EXPECT_NE(meta.status().message().find("creationTimestamp"), std::string::npos);
}

TEST(ObjectMetaTest, FormatRoundTrips) {
  const auto t = time_point_cast<ctrl::WallTime::duration>(sys_days{year{2026} / 12 / 31} + 23h +
                                                           59min + 58s + 999ms);
  EXPECT_EQ(ctrl::formatRfc3339(t), "2026-12-31T23:59:58Z");
  EXPECT_EQ(*ctrl::parseRfc3339(ctrl::formatRfc3339(t)), floor<seconds>(t));
}

}  // namespace
