// parseApiJson's fast path (simdjson) against detail::parseApiJsonReference
// (nlohmann): on every input both accept or both refuse, with the same
// message, and build the same tree, in every mode. The cases are where the
// two parsers differ inside: numbers, escapes, depth, size, repeated keys.
// The fuzz target json_fuzzer checks the same on whatever it finds.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "controller/json.h"

namespace ctrl {
namespace {

void expectSame(const std::string& text, const JsonLimits& limits = {}) {
  for (const bool metadataOnly : {false, true}) {
    for (const bool drop : {true, false}) {
      const ApiJsonOptions options{.dropManagedFields = drop, .metadataOnly = metadataOnly};
      const auto fast = parseApiJson(text, limits, options);
      const auto reference = detail::parseApiJsonReference(text, limits, options);
      ASSERT_EQ(fast.isOk(), reference.isOk()) << text;
      if (!fast.isOk()) {
        EXPECT_EQ(fast.status().message(), reference.status().message()) << text;
        continue;
      }
      EXPECT_EQ(*fast, *reference) << text;
      EXPECT_EQ(fast->dump(), reference->dump()) << text;
    }
  }
}

// What the API server sends takes the fast path; what simdjson refuses goes
// to the reference.
TEST(ParseApiJsonFast, ObjectsAsTheApiSendsThemTakeTheFastPath) {
  const std::string token =
      R"({"type":"MODIFIED","object":{"apiVersion":"servicetoken.dev/v1alpha1",)"
      R"("kind":"ServiceToken","metadata":{"name":"api","namespace":"team-a","uid":"u-1",)"
      R"("resourceVersion":"7","generation":1,"annotations":{"a":"line\n"},)"
      R"("managedFields":[{"manager":"kubectl","fieldsV1":{"f:spec":{".":{}}}}]},)"
      R"("spec":{"displayName":"API \u00e9"},"status":{"phase":"Active","revision":3,)"
      R"("conditions":[{"type":"Ready","status":"True","observedGeneration":1}]}}})";
  const uint64_t before = detail::apiJsonFallbacks();
  for (const bool metadataOnly : {false, true}) {
    ASSERT_TRUE(parseApiJson(token, {}, {.metadataOnly = metadataOnly}).isOk());
  }
  EXPECT_EQ(detail::apiJsonFallbacks(), before);
  EXPECT_FALSE(parseApiJson(token.substr(1)).isOk());
  EXPECT_EQ(detail::apiJsonFallbacks(), before + 1);
  expectSame(token);
}

TEST(ParseApiJsonFast, NumbersAsNlohmannHoldsThem) {
  for (const std::string n : {"0",
                              "-0",
                              "7",
                              "-7",
                              "9223372036854775807",
                              "9223372036854775808",
                              "-9223372036854775808",
                              "18446744073709551615",
                              "18446744073709551616",
                              "-9223372036854775809",
                              "1.5",
                              "-0.0",
                              "1e3",
                              "1E-3",
                              "1e400",
                              "-1e400",
                              "0.1",
                              "123456789012345678901234567890",
                              "01",
                              "1.",
                              "-",
                              "+1",
                              ".5"}) {
    expectSame(R"({"metadata":{"generation":)" + n + R"(},"spec":{"n":[)" + n + "]}}");
    expectSame(n);
  }
  // Whole numbers without a sign stay unsigned, as nlohmann's are.
  auto parsed = parseApiJson(R"({"a":7,"b":-7})");
  ASSERT_TRUE(parsed.isOk());
  EXPECT_TRUE((*parsed)["a"].is_number_unsigned());
  EXPECT_FALSE((*parsed)["b"].is_number_unsigned());
}

TEST(ParseApiJsonFast, StringsAndEscapes) {
  for (const std::string s :
       {R"("plain")", R"("a\nb\t\"\\\/")", R"("\u0000")", R"("\u00e9\u20ac")", R"("\ud83d\ude00")",
        R"("\ud800")", R"("\udc00")", R"("\ud800\u0041")", R"("\uZZZZ")", "\"raw\x01control\"",
        "\"bad utf8 \xff\"", "\"\xc3\xa9 ok\"", "\"cut", R"("\x")"}) {
    expectSame(R"({"metadata":{"name":)" + s + R"(},"data":{"k":)" + s + "}}");
    expectSame(s);
  }
}

TEST(ParseApiJsonFast, StructureAndWhitespace) {
  for (const std::string text : {"", " ", "{}", "[]", "{} ", " \n\t{}\r\n", "{}{}", "{} x", "[1,]",
                                 "{\"a\":1,}", "\xEF\xBB\xBF{}", "null", "true", "\"s\"",
                                 R"({"a":1,"a":2})", R"({"metadata":{"a":1},"metadata":{"b":2}})",
                                 R"({"metadata":{"managedFields":[1],"managedFields":[2],"x":1}})",
                                 "[[],[{}],{\"a\":[]}]"}) {
    expectSame(text);
  }
}

// The limit counts every level of the text, also in what is left out, and
// also empty containers (simdjson does not open a level for those).
TEST(ParseApiJsonFast, DepthAtAndAroundTheLimit) {
  for (int limit : {1, 2, 3, 4, 5}) {
    const JsonLimits limits{.maxDepth = limit};
    for (int depth = 1; depth <= limit + 2; ++depth) {
      expectSame(std::string(depth, '[') + std::string(depth, ']'), limits);
      expectSame(std::string(depth, '[') + "1" + std::string(depth, ']'), limits);
      std::string nested = "{}";
      for (int i = 1; i < depth; ++i) nested = R"({"a":)" + nested + "}";
      expectSame(nested, limits);
      expectSame(R"({"metadata":{"managedFields":)" + std::string(depth, '[') +
                     std::string(depth, ']') + "}}",
                 limits);
    }
  }
}

// Calls in a row on one thread reuse one pooled parser: its depth limit
// follows each call's.
TEST(ParseApiJsonFast, LimitsThatChangeFromCallToCall) {
  const std::string deep = "[[[[1]]]]";
  for (int round = 0; round < 2; ++round) {
    EXPECT_TRUE(parseApiJson(deep).isOk());
    EXPECT_FALSE(parseApiJson(deep, JsonLimits{.maxDepth = 3}).isOk());
    EXPECT_TRUE(parseApiJson(deep, JsonLimits{.maxDepth = 4}).isOk());
    expectSame(deep, JsonLimits{.maxDepth = 3});
  }
}

// A document larger than what a pooled parser takes (a list page) gets a
// parser of its own, still on the fast path, and comes out the same.
TEST(ParseApiJsonFast, LargeDocuments) {
  std::string items;
  for (int i = 0; i < 400; ++i) {
    if (i > 0) items += ",";
    items += R"({"metadata":{"name":"t-)" + std::to_string(i) +
             R"(","managedFields":[{"manager":"m","fieldsV1":{"f:spec":{}}}]},)"
             R"("spec":{"displayName":"Token )" +
             std::to_string(i) + R"("}})";
  }
  const std::string list =
      R"({"kind":"List","metadata":{"resourceVersion":"9"},"items":[)" + items + "]}";
  ASSERT_GT(list.size(), size_t{16} << 10);  // the most a pooled parser takes
  const uint64_t before = detail::apiJsonFallbacks();
  ASSERT_TRUE(parseApiJson(list).isOk());
  EXPECT_EQ(detail::apiJsonFallbacks(), before);
  expectSame(list);
  expectSame(list, JsonLimits{.maxBytes = list.size() - 1});
  expectSame(list.substr(0, list.size() - 1));
}

}  // namespace
}  // namespace ctrl
