#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "log_capture.h"

namespace ctrl::log {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::SizeIs;

TEST(ParseLevelTest, NamedLevels) {
  EXPECT_EQ(*parseLevel("error"), kErrorLevel);
  EXPECT_EQ(*parseLevel("warn"), kWarnLevel);
  EXPECT_EQ(*parseLevel("info"), kInfoLevel);
  EXPECT_EQ(*parseLevel("debug"), kDebugLevel);
  EXPECT_EQ(*parseLevel("trace"), kTraceLevel);
}

TEST(ParseLevelTest, NumericVerbosity) {
  EXPECT_EQ(*parseLevel("0"), 0);
  EXPECT_EQ(*parseLevel("3"), 3);
  EXPECT_EQ(*parseLevel("10"), 10);
}

TEST(ParseLevelTest, RejectsEverythingElse) {
  for (const char* bad : {"", "-1", "11", "2x", "INFO", "verbose", " 1"}) {
    const StatusOr<int> level = parseLevel(bad);
    ASSERT_FALSE(level.isOk()) << bad;
    EXPECT_EQ(level.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(ParseFormatTest, JsonAndTextOnly) {
  EXPECT_EQ(*parseFormat("json"), Format::kJson);
  EXPECT_EQ(*parseFormat("text"), Format::kText);
  EXPECT_EQ(parseFormat("logfmt").status().code(), Code::kInvalidArgument);
}

class LevelFilterTest : public LogCaptureTest {
 protected:
  // Logs one line at every level; returns the messages that were written.
  std::vector<std::string> writtenAt(int verbosity) {
    capture(Format::kJson, verbosity);
    error("E");
    warn("W");
    info("I");
    v(1).info("V1");
    v(3).info("V3");
    debug("D");
    trace("T");
    std::vector<std::string> msgs;
    for (const std::string& line : lines()) {
      msgs.push_back(nlohmann::json::parse(line)["msg"].get<std::string>());
    }
    return msgs;
  }
};

TEST_F(LevelFilterTest, ErrorOnly) { EXPECT_THAT(writtenAt(kErrorLevel), ElementsAre("E")); }
TEST_F(LevelFilterTest, Warn) { EXPECT_THAT(writtenAt(kWarnLevel), ElementsAre("E", "W")); }
TEST_F(LevelFilterTest, Info) { EXPECT_THAT(writtenAt(kInfoLevel), ElementsAre("E", "W", "I")); }
TEST_F(LevelFilterTest, Numeric) {
  EXPECT_THAT(writtenAt(3), ElementsAre("E", "W", "I", "V1", "V3"));
}
TEST_F(LevelFilterTest, Debug) {
  EXPECT_THAT(writtenAt(kDebugLevel), ElementsAre("E", "W", "I", "V1", "V3", "D"));
}
TEST_F(LevelFilterTest, Trace) {
  EXPECT_THAT(writtenAt(kTraceLevel), ElementsAre("E", "W", "I", "V1", "V3", "D", "T"));
}

TEST_F(LevelFilterTest, VerbosityIsRelativeToTheLogger) {
  capture(Format::kJson, 2);
  const Logger lg = named("x").v(1);
  EXPECT_TRUE(lg.enabled());
  EXPECT_TRUE(lg.v(1).enabled());
  EXPECT_FALSE(lg.v(2).enabled());
  EXPECT_TRUE(enabled(2));
  EXPECT_FALSE(enabled(3));
  lg.v(2).info("Hidden");
  lg.v(1).info("Shown");
  ASSERT_THAT(lines(), SizeIs(1));
  EXPECT_THAT(lines()[0], HasSubstr("Shown"));
}

TEST_F(LevelFilterTest, InvalidSetupChangesNothing) {
  capture(Format::kJson, 1);
  EXPECT_EQ(setupLogging("xml", "info").code(), Code::kInvalidArgument);
  EXPECT_EQ(setupLogging("json", "loud").code(), Code::kInvalidArgument);
  EXPECT_EQ(verbosity(), 1);
  v(1).info("Still captured");
  EXPECT_THAT(lines(), SizeIs(1));
}

TEST_F(LevelFilterTest, SetupLoggingAppliesTheLevel) {
  ASSERT_TRUE(setupLogging("json", "debug").isOk());
  EXPECT_EQ(verbosity(), kDebugLevel);
  ASSERT_TRUE(setupLogging("text", "2").isOk());
  EXPECT_EQ(verbosity(), 2);
  EXPECT_THAT(text(), IsEmpty());  // setupLogging writes to stderr, not the capture
}

}  // namespace
}  // namespace ctrl::log
