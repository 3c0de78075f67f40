// rest::LineSplitter: the line contract of Transport::stream() on its own.
#include "rest/line_splitter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

namespace {

using ctrl::rest::LineSplitter;
using ::testing::ElementsAre;

// Feeds `bytes` in pieces of `step`, as reads of a stream would.
LineSplitter::Result feed(LineSplitter& splitter, const std::string& bytes, size_t step,
                          std::vector<std::string>& out) {
  const ctrl::LineHandler collect = [&out](std::string_view line) {
    out.emplace_back(line);
    return true;
  };
  for (size_t at = 0; at < bytes.size(); at += step) {
    const size_t n = std::min(step, bytes.size() - at);
    std::memcpy(splitter.prepare(step), bytes.data() + at, n);
    splitter.commit(n);
    const auto result = splitter.deliver(collect);
    if (result != LineSplitter::Result::kMore) return result;
  }
  return splitter.finish(collect);
}

TEST(LineSplitterTest, SameLinesWhateverThePiecesTheBytesCameIn) {
  const std::string bytes = "{\"a\":1}\n\n{\"b\":22}\r\nlast";
  for (size_t step = 1; step <= bytes.size(); ++step) {
    LineSplitter splitter(1024);
    std::vector<std::string> lines;
    ASSERT_EQ(feed(splitter, bytes, step, lines), LineSplitter::Result::kMore) << step;
    // Split on '\n' only: a '\r' stays, as in the cpprest transport.
    EXPECT_THAT(lines, ElementsAre("{\"a\":1}", "", "{\"b\":22}\r", "last")) << step;
  }
}

TEST(LineSplitterTest, NoTrailingLineWhenTheBytesEndWithANewline) {
  LineSplitter splitter(1024);
  std::vector<std::string> lines;
  ASSERT_EQ(feed(splitter, "x\ny\n", 3, lines), LineSplitter::Result::kMore);
  EXPECT_THAT(lines, ElementsAre("x", "y"));
}

TEST(LineSplitterTest, PartialLineOverTheLimitIsTooLong) {
  LineSplitter splitter(10);
  std::vector<std::string> lines;
  // Lines up to the limit pass; a longer one fails without being delivered.
  EXPECT_EQ(feed(splitter, "0123456789\n" + std::string(11, 'x'), 4, lines),
            LineSplitter::Result::kTooLong);
  EXPECT_THAT(lines, ElementsAre("0123456789"));
}

TEST(LineSplitterTest, HandlerReturningFalseStopsAtThatLine) {
  LineSplitter splitter(1024);
  int calls = 0;
  std::memcpy(splitter.prepare(6), "a\nb\nc\n", 6);
  splitter.commit(6);
  EXPECT_EQ(splitter.deliver([&](std::string_view) { return ++calls < 2; }),
            LineSplitter::Result::kStopped);
  EXPECT_EQ(calls, 2);
}

TEST(LineSplitterTest, ALargeLineDoesNotKeepItsBufferAfterwards) {
  LineSplitter splitter(8 << 20);
  std::vector<std::string> lines;
  const std::string big(4 << 20, 'b');
  ASSERT_EQ(feed(splitter, big + "\nsmall\n", 64 << 10, lines), LineSplitter::Result::kMore);
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0].size(), big.size());
  EXPECT_EQ(lines[1], "small");
}

}  // namespace
