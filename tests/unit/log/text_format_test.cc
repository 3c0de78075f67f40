#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "log_capture.h"

namespace ctrl::log {
namespace {

using ::testing::ElementsAre;
using ::testing::EndsWith;
using ::testing::MatchesRegex;
using ::testing::SizeIs;
using ::testing::StartsWith;

class TextFormatTest : public LogCaptureTest {
 protected:
  void SetUp() override { capture(Format::kText, kInfoLevel); }
};

TEST_F(TextFormatTest, InfoLineHasKlogHeaderQuotedMessageAndFields) {
  info("Created Secret", {{"Secret", "ns/name"}, {"revision", 3}, {"ready", false}});
  ASSERT_THAT(lines(), SizeIs(1));
  EXPECT_THAT(
      lines()[0],
      MatchesRegex(
          R"(I[0-9]{4} [0-9][0-9]:[0-9][0-9]:[0-9][0-9]\.[0-9]{6} +[0-9]+ text_format_test\.cc:[0-9]+\] )"
          R"("Created Secret" Secret="ns/name" revision=3 ready=false)"));
}

TEST_F(TextFormatTest, SeverityLettersAndLoggerAndErrorFields) {
  const Logger lg = named("manager").withValues({{"replica", "a"}});
  lg.warn("Retried request");
  lg.error(errorStatus(Code::kTimeout, "no answer"), "Failed to renew lease", {{"attempt", 2}});
  const auto all = lines();
  ASSERT_THAT(all, SizeIs(2));
  EXPECT_THAT(all[0], StartsWith("W"));
  EXPECT_THAT(all[0], EndsWith(R"("Retried request" logger="manager" replica="a")"));
  EXPECT_THAT(all[1], StartsWith("E"));
  EXPECT_THAT(all[1],
              EndsWith(R"("Failed to renew lease" logger="manager" error="Timeout: no answer")"
                       R"( replica="a" attempt=2)"));
}

TEST_F(TextFormatTest, QuotesAndNewlinesAreEscapedSoARecordIsOneLine) {
  info("Line one\nline \"two\"", {{"path", "a\\b\r\n"}});
  ASSERT_THAT(lines(), SizeIs(1));
  EXPECT_THAT(lines()[0], EndsWith(R"("Line one\nline \"two\"" path="a\\b\r\n")"));
}

TEST_F(TextFormatTest, KeysThatAreNotBareWordsAreSanitised) {
  info("Checked", {{"has space=and\"quote", 1}, {"", 2}, {"ok.key-1/x_y", 3}});
  ASSERT_THAT(lines(), SizeIs(1));
  EXPECT_THAT(lines()[0], EndsWith(R"("Checked" has_space_and_quote=1 _=2 ok.key-1/x_y=3)"));
}

}  // namespace
}  // namespace ctrl::log
