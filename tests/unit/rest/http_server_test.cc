// The cpprest HttpServer on 127.0.0.1:0, exercised through the cpprest
// Transport over plain HTTP: registered paths, 404, 405, line streaming of a
// body, connection failures after stop().
#include "controller/http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <string>
#include <vector>

#include "controller/transport.h"

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class HttpServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    server_->handle("/healthz", [this](const std::string& path) {
      ++calls_;
      return ctrl::HttpServerResponse{200, "text/plain; charset=utf-8", "ok at " + path};
    });
    server_->handle("/lines", [](const std::string&) {
      return ctrl::HttpServerResponse{200, "application/json", "{\"a\":1}\n\n{\"b\":2}\nlast"};
    });
    server_->handle("/teapot", [](const std::string&) {
      return ctrl::HttpServerResponse{418, "text/plain", "short and stout"};
    });
    ASSERT_TRUE(server_->start("127.0.0.1:0").isOk());
    ASSERT_GT(server_->port(), 0);
    ctrl::RestConfig config;
    config.server = "http://127.0.0.1:" + std::to_string(server_->port());
    auto transport = ctrl::makeCppRestTransport(config);
    ASSERT_TRUE(transport.isOk()) << transport.status().toString();
    transport_ = std::move(transport).value();
  }

  ctrl::StatusOr<ctrl::HttpResponse> get(const std::string& target, std::string method = "GET") {
    ctrl::HttpRequest request;
    request.method = std::move(method);
    request.target = target;
    request.timeout = std::chrono::seconds(30);
    return transport_->send(request);
  }

  std::unique_ptr<ctrl::HttpServer> server_ = ctrl::makeCppRestHttpServer();
  std::unique_ptr<ctrl::Transport> transport_;
  std::atomic<int> calls_{0};
};

TEST_F(HttpServerTest, ServesARegisteredPath) {
  auto response = get("/healthz");
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_EQ(response->body, "ok at /healthz");
  EXPECT_EQ(calls_.load(), 1);
}

TEST_F(HttpServerTest, PassesHandlerStatusAndHeaders) {
  auto response = get("/teapot");
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 418);
  EXPECT_EQ(response->body, "short and stout");
  bool sawContentType = false;
  for (const auto& [name, value] : response->headers) {
    if (name == "Content-Type") sawContentType = value == "text/plain";
  }
  EXPECT_TRUE(sawContentType);
}

TEST_F(HttpServerTest, UnknownPathIs404AndPrefixesDoNotMatch) {
  for (const char* target : {"/nope", "/healthz/extra", "/"}) {
    auto response = get(target);
    ASSERT_TRUE(response.isOk()) << response.status().toString();
    EXPECT_EQ(response->status, 404) << target;
  }
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, QueryStringDoesNotChangeThePath) {
  auto response = get("/healthz?verbose=1");
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
}

TEST_F(HttpServerTest, NonGetIs405) {
  auto response = get("/healthz", "POST");
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 405);
  EXPECT_EQ(calls_.load(), 0);
}

TEST_F(HttpServerTest, StreamSplitsTheBodyIntoLines) {
  ctrl::HttpRequest request;
  request.target = "/lines";
  std::vector<std::string> lines;
  auto response = transport_->stream(
      request,
      [&](std::string_view line) {
        lines.emplace_back(line);
        return true;
      },
      std::stop_token());
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 200);
  EXPECT_THAT(lines, ElementsAre("{\"a\":1}", "", "{\"b\":2}", "last"));
}

TEST_F(HttpServerTest, StreamReturnsNon200WithBodyAndNoLines) {
  ctrl::HttpRequest request;
  request.target = "/teapot";
  int lines = 0;
  auto response = transport_->stream(
      request,
      [&](std::string_view) {
        ++lines;
        return true;
      },
      std::stop_token());
  ASSERT_TRUE(response.isOk()) << response.status().toString();
  EXPECT_EQ(response->status, 418);
  EXPECT_EQ(response->body, "short and stout");
  EXPECT_EQ(lines, 0);
}

TEST_F(HttpServerTest, StreamHandlerReturningFalseCancels) {
  ctrl::HttpRequest request;
  request.target = "/lines";
  int lines = 0;
  auto response = transport_->stream(
      request,
      [&](std::string_view) {
        ++lines;
        return false;
      },
      std::stop_token());
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kCancelled);
  EXPECT_EQ(lines, 1);
}

TEST_F(HttpServerTest, StreamWithStopAlreadyRequestedIsCancelled) {
  std::stop_source stop;
  stop.request_stop();
  ctrl::HttpRequest request;
  request.target = "/lines";
  auto response = transport_->stream(
      request, [](std::string_view) { return true; }, stop.get_token());
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kCancelled);
}

TEST_F(HttpServerTest, StopIsIdempotentAndThenConnectionsFail) {
  const int port = server_->port();
  server_->stop();
  server_->stop();
  EXPECT_EQ(server_->port(), 0);
  auto response = get("/healthz");
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kUnavailable)
      << response.status().toString() << " (port " << port << ")";
}

TEST_F(HttpServerTest, MalformedRequestIsInvalidArgument) {
  auto response = get("no-leading-slash");
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kInvalidArgument);
  ctrl::HttpRequest request;
  request.target = "/healthz";
  request.headers = {{"X-Injected", "a\r\nEvil: 1"}};
  response = transport_->send(request);
  ASSERT_FALSE(response.isOk());
  EXPECT_EQ(response.status().code(), ctrl::Code::kInvalidArgument);
}

TEST(HttpServerStartTest, RejectsMalformedAddresses) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:http", "127.0.0.1:70000", "::1:80"}) {
    auto server = ctrl::makeCppRestHttpServer();
    const ctrl::Status status = server->start(address);
    EXPECT_EQ(status.code(), ctrl::Code::kInvalidArgument) << address;
    EXPECT_THAT(status.message(), HasSubstr(address));
  }
}

TEST(HttpServerStartTest, PortZeroWithAHostName) {
  auto server = ctrl::makeCppRestHttpServer();
  server->handle("/x", [](const std::string&) { return ctrl::HttpServerResponse{}; });
  ASSERT_TRUE(server->start("localhost:0").isOk());
  EXPECT_GT(server->port(), 0);
  server->stop();
  EXPECT_EQ(server->port(), 0);
}

TEST(HttpServerStartTest, ZeroMeansDisabled) {
  auto server = ctrl::makeCppRestHttpServer();
  EXPECT_TRUE(server->start("0").isOk());
  EXPECT_EQ(server->port(), 0);
  server->stop();
}

TEST(HttpServerStartTest, BusyPortIsUnavailable) {
  auto first = ctrl::makeCppRestHttpServer();
  ASSERT_TRUE(first->start("127.0.0.1:0").isOk());
  auto second = ctrl::makeCppRestHttpServer();
  const ctrl::Status status = second->start("127.0.0.1:" + std::to_string(first->port()));
  EXPECT_EQ(status.code(), ctrl::Code::kUnavailable) << status.toString();
}

}  // namespace
