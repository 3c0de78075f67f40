// JsonWriter: what it writes parses to the document meant, strings of any
// content are escaped, and misuse or bad UTF-8 is an error, not a body.
#include "controller/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/json.h"

namespace {

using ctrl::Json;
using ::testing::HasSubstr;
using ::testing::Not;

TEST(JsonWriter, WritesTheDocumentMeant) {
  ctrl::JsonWriter w;
  w.beginObject()
      .member("s", "text")
      .member("n", int64_t{-42})
      .member("max", std::numeric_limits<int64_t>::max())
      .memberOrNull("empty", "")
      .memberOrNull("full", "x")
      .key("b")
      .boolean(true)
      .key("list")
      .beginArray()
      .string("a")
      .integer(1)
      .null()
      .beginObject()
      .endObject()
      .endArray()
      .endObject();
  auto text = std::move(w).take();
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  EXPECT_EQ(Json::parse(text->text), Json::parse(R"({"s":"text","n":-42,
      "max":9223372036854775807,"empty":null,"full":"x","b":true,"list":["a",1,null,{}]})"));
}

// Every byte a string may hold comes back as it went in: quotes,
// backslashes, control characters (NUL too), and multi-byte UTF-8.
TEST(JsonWriter, EscapesAnyStringSoItParsesBackUnchanged) {
  std::string every;
  for (int c = 0; c < 0x80; ++c) every += static_cast<char>(c);
  every += "é ü 世界 😀 \u2028";
  ctrl::JsonWriter w;
  w.beginObject().member(every, every).endObject();
  auto text = std::move(w).take();
  ASSERT_TRUE(text.isOk()) << text.status().toString();
  Json parsed = Json::parse(text->text);
  ASSERT_EQ(parsed.size(), 1u);
  EXPECT_EQ(parsed.begin().key(), every);
  EXPECT_EQ(parsed.begin().value(), every);
  // Escaped as nlohmann escapes it, byte for byte: only the quote, the
  // backslash and control characters; UTF-8 goes out as it is.
  EXPECT_EQ(text->text, Json::object({{every, every}}).dump());
}

TEST(JsonWriter, TextThatIsNotUtf8IsAnErrorNamingNoValue) {
  for (const std::string& bad :
       {std::string("secret\xff"), std::string("secret\xc3"), std::string("secret\xed\xa0\x80")}) {
    ctrl::JsonWriter value;
    value.beginObject().member("k", bad).endObject();
    auto text = std::move(value).take();
    ASSERT_FALSE(text.isOk());
    EXPECT_EQ(text.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_THAT(text.status().message(), Not(HasSubstr("secret")));

    ctrl::JsonWriter key;
    key.beginObject().member(bad, "v").endObject();
    EXPECT_FALSE(std::move(key).take().isOk());
  }
}

TEST(JsonWriter, AnUnfinishedDocumentIsAnError) {
  ctrl::JsonWriter open;
  open.beginObject().member("k", "v");
  auto text = std::move(open).take();
  ASSERT_FALSE(text.isOk());
  EXPECT_EQ(text.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_FALSE(std::move(ctrl::JsonWriter()).take().isOk());  // nothing written
}

// A call out of place is an error at take(), never a malformed body.
TEST(JsonWriter, CallsOutOfPlaceAreErrors) {
  auto fails = [](auto calls) {
    ctrl::JsonWriter w;
    calls(w);
    auto text = std::move(w).take();
    return !text.isOk() && text.status().code() == ctrl::Code::kInvalidArgument;
  };
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.key("k"); }));  // no object
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginObject().string("v").endObject(); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginObject().key("a").key("b"); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginObject().key("a").endObject(); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginObject().endArray(); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginArray().endObject(); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginArray().key("k").endArray(); }));
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.null().null(); }));  // two roots
  EXPECT_TRUE(fails([](ctrl::JsonWriter& w) { w.beginObject().endObject().endObject(); }));
  // And what is in place is not.
  EXPECT_FALSE(fails([](ctrl::JsonWriter& w) { w.integer(7); }));
  EXPECT_FALSE(fails([](ctrl::JsonWriter& w) {
    w.beginArray().beginArray().endArray().beginObject().endObject().endArray();
  }));
}

}  // namespace
