// parseJson: size and depth limits (exactly at the limit accepted, one over
// rejected), invalid input reported by offset without quoting content.
#include "controller/json.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

std::string nestedArrays(int depth) {
  return std::string(static_cast<size_t>(depth), '[') + "1" +
         std::string(static_cast<size_t>(depth), ']');
}

TEST(ParseJsonTest, ParsesAValidDocument) {
  auto got = ctrl::parseJson(R"({"a":[1,2,{"b":"c"}],"d":null})");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ((*got)["a"][2]["b"], "c");
  EXPECT_TRUE((*got)["d"].is_null());
}

TEST(ParseJsonTest, SizeExactlyAtTheLimitIsAccepted) {
  const std::string text = R"({"k":"0123456789"})";
  ctrl::JsonLimits limits;
  limits.maxBytes = text.size();
  EXPECT_TRUE(ctrl::parseJson(text, limits).isOk());
}

TEST(ParseJsonTest, OneByteOverTheSizeLimitIsRejected) {
  const std::string text = R"({"k":"0123456789"})";
  ctrl::JsonLimits limits;
  limits.maxBytes = text.size() - 1;
  auto got = ctrl::parseJson(text, limits);
  EXPECT_EQ(got.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), Not(HasSubstr("0123456789")));
}

TEST(ParseJsonTest, DepthExactlyAtTheLimitIsAccepted) {
  ctrl::JsonLimits limits;
  limits.maxDepth = 5;
  EXPECT_TRUE(ctrl::parseJson(nestedArrays(5), limits).isOk());
  EXPECT_TRUE(ctrl::parseJson(R"({"a":{"b":{"c":{"d":{"e":1}}}}})", limits).isOk());
}

TEST(ParseJsonTest, OneLevelTooDeepIsRejectedWithItsOffset) {
  ctrl::JsonLimits limits;
  limits.maxDepth = 5;
  auto got = ctrl::parseJson(nestedArrays(6), limits);
  EXPECT_EQ(got.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("offset 5"));
  EXPECT_EQ(ctrl::parseJson(R"({"a":{"b":{"c":{"d":{"e":{}}}}}})", limits).status().code(),
            ctrl::Code::kInvalidArgument);
}

TEST(ParseJsonTest, HostileDepthIsRejectedByTheDefaultLimit) {
  EXPECT_EQ(ctrl::parseJson(nestedArrays(100000)).status().code(), ctrl::Code::kInvalidArgument);
}

TEST(ParseJsonTest, BracketsInsideStringsDoNotCount) {
  ctrl::JsonLimits limits;
  limits.maxDepth = 1;
  auto got = ctrl::parseJson(R"({"k":"[[[[{{{{ \"]]]] \\"})", limits);
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  EXPECT_EQ((*got)["k"], "[[[[{{{{ \"]]]] \\");
}

TEST(ParseJsonTest, InvalidJsonGivesTheOffsetButNotTheContent) {
  auto got = ctrl::parseJson(R"({"token":"hunter2", oops})");
  EXPECT_EQ(got.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), HasSubstr("byte offset"));
  EXPECT_THAT(got.status().message(), Not(HasSubstr("hunter2")));
  EXPECT_THAT(got.status().message(), Not(HasSubstr("oops")));
}

TEST(ParseJsonTest, EmptyAndTrailingGarbageAreInvalid) {
  EXPECT_EQ(ctrl::parseJson("").status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(ctrl::parseJson("{} {}").status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(ctrl::parseJson("[1,2").status().code(), ctrl::Code::kInvalidArgument);
}

}  // namespace
