// Transport::stream() (controller/transport.h) of both Transports
// (makeTransport, the default, on Boost.Beast, and makeCppRestTransport),
// driven byte by byte from a scripted loopback server: lines split on '\n'
// only, whatever the chunks and reads they arrive in; a line over the limit
// is an error; a stop from another thread abandons a blocked stream at once;
// the idle timeout; a stream broken mid-way; non-200 answers; the server
// ending the stream.
#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/transport.h"
#include "tcp_keepalive_check.h"
#include "unit/rest/scripted_stream_server.h"

namespace {

using namespace std::chrono_literals;
using sttest::ScriptedStreamServer;
using ::testing::ElementsAre;

using Factory = ctrl::StatusOr<std::unique_ptr<ctrl::Transport>> (*)(const ctrl::RestConfig&);

// Every test runs against both transports, named by the parameter.
class TransportStreamTest : public ::testing::TestWithParam<std::string> {
 protected:
  std::unique_ptr<ctrl::Transport> transportFor(const ScriptedStreamServer& server) {
    const Factory factory =
        GetParam() == "Default" ? &ctrl::makeTransport : &ctrl::makeCppRestTransport;
    ctrl::RestConfig config;
    config.server = server.url();
    auto transport = factory(config);
    EXPECT_TRUE(transport.isOk()) << transport.status().toString();
    return transport.isOk() ? std::move(transport).value() : nullptr;
  }
};

ctrl::HttpRequest watch(std::chrono::milliseconds idle = 60s) {
  ctrl::HttpRequest request;
  request.target = "/api/v1/secrets?watch=1";
  request.timeout = idle;
  return request;
}

const std::string kChunkedOk =
    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";

// Lines delivered by a stream running on another thread.
class Lines {
 public:
  bool add(std::string_view line) {
    std::lock_guard lock(mu_);
    lines_.emplace_back(line);
    cv_.notify_all();
    return true;
  }
  // Waits until `count` lines came (a failure bound, not a measurement).
  bool waitFor(size_t count) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, 30s, [&] { return lines_.size() >= count; });
  }
  std::vector<std::string> all() const {
    std::lock_guard lock(mu_);
    return lines_;
  }
  ctrl::LineHandler handler() {
    return [this](std::string_view line) { return add(line); };
  }

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> lines_;
};

using Result = ctrl::StatusOr<ctrl::HttpResponse>;

std::future<Result> startStream(ctrl::Transport& transport, const ctrl::HttpRequest& request,
                                Lines& lines, std::stop_token stop = {}) {
  return std::async(std::launch::async, [&transport, request, &lines, stop] {
    return transport.stream(request, lines.handler(), stop);
  });
}

// Waits for the stream's result (a failure bound: the cases below end in
// well under a second).
Result resultOf(std::future<Result>& result) {
  if (result.wait_for(60s) != std::future_status::ready) {
    return ctrl::errorStatus(ctrl::Code::kInternal, "the stream did not return");
  }
  return result.get();
}

TEST_P(TransportStreamTest, LinesAreSplitOnNewlinesNeverOnChunksOrReads) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  auto result = startStream(*transport, watch(), lines);
  ASSERT_EQ(server.accept(), "GET /api/v1/secrets?watch=1 HTTP/1.1");
  ASSERT_TRUE(server.write(kChunkedOk));
  // One chunk with a whole line and the start of the next.
  ASSERT_TRUE(server.writeChunk("{\"a\":1}\n{\"b\""));
  ASSERT_TRUE(lines.waitFor(1));
  // The rest arrives in a later read, across two chunks.
  ASSERT_TRUE(server.writeChunk(":"));
  ASSERT_TRUE(server.writeChunk("2}\n{\"c\":3}\n{\"d\":4}\n{\"e\""));
  ASSERT_TRUE(lines.waitFor(4));
  // A last line without its newline still counts when the server ends.
  ASSERT_TRUE(server.writeChunk(":5}"));
  ASSERT_TRUE(server.endChunks());
  auto ended = resultOf(result);
  ASSERT_TRUE(ended.isOk()) << ended.status().toString();
  EXPECT_EQ(ended->status, 200);
  EXPECT_EQ(ended->body, "");
  EXPECT_THAT(lines.all(),
              ElementsAre("{\"a\":1}", "{\"b\":2}", "{\"c\":3}", "{\"d\":4}", "{\"e\":5}"));
}

TEST_P(TransportStreamTest, StreamWithAContentLengthEndsWithItsBody) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  auto result = startStream(*transport, watch(), lines);
  ASSERT_FALSE(server.accept().empty());
  const std::string body = "{\"a\":1}\n\n{\"b\":2}\n";
  ASSERT_TRUE(server.write("HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(body.size()) +
                           "\r\n\r\n" + body));
  auto ended = resultOf(result);
  ASSERT_TRUE(ended.isOk()) << ended.status().toString();
  EXPECT_EQ(ended->status, 200);
  // An empty line is a line.
  EXPECT_THAT(lines.all(), ElementsAre("{\"a\":1}", "", "{\"b\":2}"));
}

TEST_P(TransportStreamTest, HandlerReturningFalseStopsTheStream) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  std::vector<std::string> seen;
  auto result = std::async(std::launch::async, [&] {
    return transport->stream(
        watch(),
        [&](std::string_view line) {
          seen.emplace_back(line);
          return false;
        },
        std::stop_token());
  });
  ASSERT_FALSE(server.accept().empty());
  ASSERT_TRUE(server.write(kChunkedOk));
  ASSERT_TRUE(server.writeChunk("{\"a\":1}\n{\"b\":2}\n"));
  auto stopped = resultOf(result);
  ASSERT_FALSE(stopped.isOk());
  EXPECT_EQ(stopped.status().code(), ctrl::Code::kCancelled) << stopped.status().toString();
  EXPECT_THAT(seen, ElementsAre("{\"a\":1}"));
}

// A line longer than the transport's limit (64 MiB, one watch event) fails
// the stream instead of growing without bound. The server keeps sending one
// endless line; the transport must give up and close the connection.
TEST_P(TransportStreamTest, LineOverTheLimitIsAnError) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  auto result = startStream(*transport, watch(), lines);
  ASSERT_FALSE(server.accept().empty());
  ASSERT_TRUE(server.write(kChunkedOk));
  const std::string piece(1 << 20, 'x');
  int sent = 0;
  // 80 MiB: past the limit with room for what the transport buffers.
  while (sent < 80 && server.writeChunk(piece)) ++sent;
  auto failed = resultOf(result);
  ASSERT_FALSE(failed.isOk()) << "status " << failed->status;
  EXPECT_EQ(failed.status().code(), ctrl::Code::kInternal) << failed.status().toString();
  EXPECT_THAT(failed.status().toString(), ::testing::HasSubstr("larger than"));
  EXPECT_TRUE(lines.all().empty());
  EXPECT_GE(sent, 64);
}

// A stop requested from another thread while the stream waits for bytes that
// never come returns Cancelled at once and closes the connection.
TEST_P(TransportStreamTest, StopFromAnotherThreadAbandonsABlockedStream) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  std::stop_source stop;
  auto result = startStream(*transport, watch(600s), lines, stop.get_token());
  ASSERT_FALSE(server.accept().empty());
  ASSERT_TRUE(server.write(kChunkedOk));
  ASSERT_TRUE(server.writeChunk("{\"a\":1}\n"));
  ASSERT_TRUE(lines.waitFor(1));
  stop.request_stop();  // the stream is blocked reading: the server is silent
  auto stopped = resultOf(result);
  ASSERT_FALSE(stopped.isOk()) << "status " << stopped->status;
  EXPECT_EQ(stopped.status().code(), ctrl::Code::kCancelled) << stopped.status().toString();
  EXPECT_TRUE(server.closedByClient());
}

// The same while waiting for the response header.
TEST_P(TransportStreamTest, StopBeforeTheHeaderAbandonsTheStream) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  std::stop_source stop;
  auto result = startStream(*transport, watch(600s), lines, stop.get_token());
  ASSERT_FALSE(server.accept().empty());  // the request is written
  stop.request_stop();
  auto stopped = resultOf(result);
  ASSERT_FALSE(stopped.isOk()) << "status " << stopped->status;
  EXPECT_EQ(stopped.status().code(), ctrl::Code::kCancelled) << stopped.status().toString();
  EXPECT_TRUE(server.closedByClient());
}

// request.timeout is the longest quiet gap between two pieces of the body.
TEST_P(TransportStreamTest, QuietGapLongerThanTheIdleTimeoutIsTimeout) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  auto result = startStream(*transport, watch(300ms), lines);
  ASSERT_FALSE(server.accept().empty());
  ASSERT_TRUE(server.write(kChunkedOk));
  ASSERT_TRUE(server.writeChunk("{\"a\":1}\n"));
  auto timedOut = resultOf(result);  // then silence
  ASSERT_FALSE(timedOut.isOk()) << "status " << timedOut->status;
  EXPECT_EQ(timedOut.status().code(), ctrl::Code::kTimeout) << timedOut.status().toString();
  EXPECT_THAT(lines.all(), ElementsAre("{\"a\":1}"));
  EXPECT_TRUE(server.closedByClient());
}

TEST_P(TransportStreamTest, ServerClosingMidStreamIsUnavailable) {
  for (const bool reset : {false, true}) {
    SCOPED_TRACE(reset ? "reset" : "close");
    ScriptedStreamServer server;
    auto transport = transportFor(server);
    ASSERT_TRUE(transport);
    Lines lines;
    auto result = startStream(*transport, watch(), lines);
    ASSERT_FALSE(server.accept().empty());
    ASSERT_TRUE(server.write(kChunkedOk));
    ASSERT_TRUE(server.writeChunk("{\"a\":1}\n{\"b\""));
    ASSERT_TRUE(lines.waitFor(1));
    server.closeConnection(reset);  // no last chunk: the stream broke
    auto broken = resultOf(result);
    ASSERT_FALSE(broken.isOk()) << "status " << broken->status;
    EXPECT_EQ(broken.status().code(), ctrl::Code::kUnavailable) << broken.status().toString();
    // The partial line is not delivered.
    EXPECT_THAT(lines.all(), ElementsAre("{\"a\":1}"));
  }
}

TEST_P(TransportStreamTest, ServerClosingBeforeTheHeaderIsUnavailable) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  auto result = startStream(*transport, watch(), lines);
  ASSERT_FALSE(server.accept().empty());
  server.closeConnection();
  auto broken = resultOf(result);
  ASSERT_FALSE(broken.isOk()) << "status " << broken->status;
  EXPECT_EQ(broken.status().code(), ctrl::Code::kUnavailable) << broken.status().toString();
  EXPECT_TRUE(lines.all().empty());
}

// A non-200 answer is returned with its body, never as lines; the body is
// cut at 64 KiB however much the server sends.
TEST_P(TransportStreamTest, NonOkAnswerReturnsItsLimitedBodyAndNoLines) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  {
    Lines lines;
    auto result = startStream(*transport, watch(), lines);
    ASSERT_FALSE(server.accept().empty());
    const std::string body = "{\"kind\":\"Status\",\"reason\":\"Gone\"}\n";
    ASSERT_TRUE(
        server.write("HTTP/1.1 410 Gone\r\nContent-Type: application/json\r\n"
                     "Retry-After: 3\r\nContent-Length: " +
                     std::to_string(body.size()) + "\r\n\r\n" + body));
    auto answered = resultOf(result);
    ASSERT_TRUE(answered.isOk()) << answered.status().toString();
    EXPECT_EQ(answered->status, 410);
    EXPECT_EQ(answered->body, body);
    bool retryAfter = false;
    for (const auto& [name, value] : answered->headers) {
      if (name == "Retry-After" || name == "retry-after") retryAfter = value == "3";
    }
    EXPECT_TRUE(retryAfter);
    EXPECT_TRUE(lines.all().empty());
  }
  {
    Lines lines;
    auto result = startStream(*transport, watch(), lines);
    ASSERT_FALSE(server.accept().empty());
    ASSERT_TRUE(
        server.write("HTTP/1.1 500 Internal Server Error\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n"));
    std::string line(1023, 'e');
    line += '\n';
    for (int i = 0; i < 100 && server.writeChunk(line); ++i) {
    }
    // The server neither ends the body nor closes: the transport stops at
    // its limit by itself.
    auto answered = resultOf(result);
    ASSERT_TRUE(answered.isOk()) << answered.status().toString();
    EXPECT_EQ(answered->status, 500);
    EXPECT_EQ(answered->body.size(), 64u << 10);
    EXPECT_TRUE(lines.all().empty());
  }
}

// The stream's connection has TCP keepalive on (30 s idle), as the request
// connections do: a watch can be quiet for minutes.
TEST_P(TransportStreamTest, StreamConnectionCarriesTcpKeepalive) {
  ScriptedStreamServer server;
  auto transport = transportFor(server);
  ASSERT_TRUE(transport);
  Lines lines;
  std::stop_source stop;
  auto result = startStream(*transport, watch(), lines, stop.get_token());
  ASSERT_FALSE(server.accept().empty());
  ASSERT_TRUE(server.write(kChunkedOk));
  ASSERT_TRUE(server.writeChunk("{\"a\":1}\n"));
  ASSERT_TRUE(lines.waitFor(1));  // the stream is open now
  int checked = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (dirent* entry = readdir(dir)) {
      const int fd = std::atoi(entry->d_name);
      sockaddr_in peer{};
      socklen_t length = sizeof peer;
      if (fd <= 2 || getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0 ||
          peer.sin_family != AF_INET || ntohs(peer.sin_port) != server.port()) {
        continue;
      }
      sttest::expectTcpKeepalive(fd);
      ++checked;
    }
    closedir(dir);
  }
  EXPECT_EQ(checked, 1);
  stop.request_stop();
  EXPECT_FALSE(resultOf(result).isOk());
}

INSTANTIATE_TEST_SUITE_P(, TransportStreamTest, ::testing::Values("Default", "CppRest"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
