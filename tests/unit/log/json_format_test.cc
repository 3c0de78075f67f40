#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <thread>

#include "log_capture.h"

namespace ctrl::log {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using ::testing::SizeIs;
using namespace std::chrono_literals;

class JsonFormatTest : public LogCaptureTest {
 protected:
  void SetUp() override { capture(Format::kJson, kInfoLevel); }

  json only() const {
    const auto all = lines();
    EXPECT_THAT(all, SizeIs(1));
    if (all.empty()) return json();
    return json::parse(all.front());
  }
};

TEST_F(JsonFormatTest, InfoLineIsOneObjectWithMessageLevelAndFields) {
  info("Created Secret", {{"Secret", "ns/name"},
                          {"revision", 3},
                          {"ready", true},
                          {"ratio", 0.5},
                          {"owner", nullptr}});
  const json j = only();
  EXPECT_EQ(j["msg"], "Created Secret");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["Secret"], "ns/name");
  EXPECT_EQ(j["revision"], 3);
  EXPECT_EQ(j["ready"], true);
  EXPECT_EQ(j["ratio"], 0.5);
  EXPECT_TRUE(j["owner"].is_null());
  EXPECT_FALSE(j.contains("logger"));  // root logger
  EXPECT_FALSE(j.contains("v"));
  EXPECT_THAT(j["ts"].get<std::string>(),
              MatchesRegex(
                  R"([0-9]{4}-[0-9][0-9]-[0-9][0-9]T[0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{6}Z)"));
  EXPECT_THAT(j["caller"].get<std::string>(), MatchesRegex(R"(json_format_test\.cc:[0-9]+)"));
}

TEST_F(JsonFormatTest, KeysComeInTheDocumentedOrder) {
  named("manager")
      .withValues({{"controller", "servicetoken"}})
      .info("Started workers", {{"count", 2}});
  const auto all = lines();
  ASSERT_THAT(all, SizeIs(1));
  std::vector<std::string> keys;
  const ordered_json j = ordered_json::parse(all.front());
  for (const auto& item : j.items()) keys.push_back(item.key());
  EXPECT_THAT(keys, ::testing::ElementsAre("ts", "level", "msg", "logger", "caller", "controller",
                                           "count"));
}

TEST_F(JsonFormatTest, NamedLoggersJoinWithDotsAndKeepTheirValues) {
  const Logger base = named("manager").withValues({{"replica", "a"}});
  const Logger child = base.named("leader").withValues({{"lease", "ns/lock"}});
  child.info("Acquired lease");
  const json j = only();
  EXPECT_EQ(j["logger"], "manager.leader");
  EXPECT_EQ(j["replica"], "a");
  EXPECT_EQ(j["lease"], "ns/lock");
  EXPECT_EQ(base.name(), "manager");  // the parent is unchanged
}

TEST_F(JsonFormatTest, ErrorCarriesTheStatus) {
  error(errorStatus(Code::kNotFound, "secrets \"x\" not found"), "Failed to get Secret",
        {{"Secret", "ns/x"}});
  const json j = only();
  EXPECT_EQ(j["level"], "error");
  EXPECT_EQ(j["error"], "NotFound: secrets \"x\" not found");
  EXPECT_EQ(j["Secret"], "ns/x");
}

TEST_F(JsonFormatTest, VerboseLinesAreDebugWithTheirV) {
  capture(Format::kJson, kDebugLevel);
  v(2).info("Requeued item");
  const json j = only();
  EXPECT_EQ(j["level"], "debug");
  EXPECT_EQ(j["v"], 2);
}

TEST_F(JsonFormatTest, QuotesNewlinesAndControlCharactersAreEscaped) {
  const std::string nasty = "say \"hi\"\nnext line\tand \\ and \x01 and </script>";
  info(nasty, {{"value", nasty}, {"key \"with\" quotes", 1}});
  const std::string written = text();
  EXPECT_EQ(std::count(written.begin(), written.end(), '\n'), 1) << written;
  const json j = only();
  EXPECT_EQ(j["msg"], nasty);
  EXPECT_EQ(j["value"], nasty);
  EXPECT_EQ(j["key \"with\" quotes"], 1);
}

TEST_F(JsonFormatTest, InvalidUtf8IsReplacedInsteadOfThrowing) {
  info("Read bytes", {{"data", std::string("ok\xff\xfe")}});
  const json j = only();
  EXPECT_EQ(j["data"], "ok\xEF\xBF\xBD\xEF\xBF\xBD");  // two U+FFFD
}

TEST_F(JsonFormatTest, FieldsNamedLikeReservedKeysArePrefixed) {
  named("real").info("Real message", {{"msg", "fake"}, {"level", "fake"}, {"logger", "fake"}});
  const json j = only();
  EXPECT_EQ(j["msg"], "Real message");
  EXPECT_EQ(j["level"], "info");
  EXPECT_EQ(j["logger"], "real");
  EXPECT_EQ(j["_msg"], "fake");
  EXPECT_EQ(j["_level"], "fake");
  EXPECT_EQ(j["_logger"], "fake");
}

TEST_F(JsonFormatTest, DurationsAndIntegersOfEveryWidth) {
  info("Scheduled", {{"after", 30s},
                     {"period", 250ms},
                     {"big", std::uint64_t{18446744073709551615u}},
                     {"negative", -7L}});
  const json j = only();
  EXPECT_EQ(j["after"], "30s");
  EXPECT_EQ(j["period"], "0.25s");
  EXPECT_EQ(j["big"].get<std::uint64_t>(), 18446744073709551615u);
  EXPECT_EQ(j["negative"], -7);
}

TEST_F(JsonFormatTest, ConcurrentWritersNeverInterleaveLines) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 200;
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([t] {
        const Logger lg = named("worker").withValues({{"thread", t}});
        for (int i = 0; i < kPerThread; ++i) lg.info("Processed item", {{"i", i}});
      });
    }
  }
  const auto all = lines();
  ASSERT_THAT(all, SizeIs(kThreads * kPerThread));
  std::vector<int> perThread(kThreads);
  for (const std::string& line : all) {
    const json j = json::parse(line);  // throws (and fails the test) on a torn line
    ++perThread.at(j["thread"].get<std::size_t>());
  }
  EXPECT_THAT(perThread, ::testing::Each(kPerThread));
}

}  // namespace
}  // namespace ctrl::log
