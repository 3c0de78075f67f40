// The Beast HttpServer on 127.0.0.1:0 with a raw Beast client: GET handlers
// and any-method routes (headers, body, prefixes), 404/405, header and body
// limits, keep-alive, TLS, and reloading the certificate when its files
// change.
#include "controller/beast_http_server.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <filesystem>
#include <string>

#include "fake_clock.h"
#include "temp_dir.h"
#include "test_pki.h"

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;
using ::testing::HasSubstr;

using Response = http::response<http::string_body>;

http::request<http::string_body> makeRequest(http::verb verb, const std::string& target) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, "127.0.0.1");
  return req;
}

// Sends `req` on `stream` and reads one response.
template <typename Stream>
Response exchange(Stream& stream, http::request<http::string_body> req) {
  req.prepare_payload();
  http::write(stream, req);
  beast::flat_buffer buffer;
  Response res;
  beast::error_code ec;
  http::read(stream, buffer, res, ec);
  if (ec) res.result(http::status::unknown);
  return res;
}

Response send(int port, http::request<http::string_body> req) {
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  return exchange(stream, std::move(req));
}

ctrl::HttpServerResponse text(std::string body) {
  ctrl::HttpServerResponse r;
  r.body = std::move(body);
  return r;
}

class BeastServer : public ::testing::Test {
 protected:
  void start(ctrl::BeastHttpServerOptions options = {}) {
    auto server = ctrl::makeBeastHttpServer(std::move(options));
    ASSERT_TRUE(server.isOk()) << server.status().toString();
    server_ = std::move(server).value();
    server_->handle("/healthz", [](const std::string& path) { return text("ok at " + path); });
    ASSERT_TRUE(server_
                    ->route({"/echo", false},
                            [](const ctrl::HttpServerRequest& r) {
                              ctrl::HttpServerResponse out = text(
                                  std::string(r.method()) + " " + std::string(r.target()) + " " +
                                  std::string(r.path()) + " " + std::string(r.header("x-thing")) +
                                  " " + std::to_string(r.headerCount("X-Thing")) + " " +
                                  std::string(r.body()));
                              out.status = 202;
                              out.headers.emplace_back("X-Answer", "42");
                              out.headers.emplace_back("X-Bad", "a\r\nInjected: 1");
                              return out;
                            })
                    .isOk());
    ASSERT_TRUE(server_
                    ->route({"/pre/", true},
                            [](const ctrl::HttpServerRequest& r) {
                              return text("short " + std::string(r.path()));
                            })
                    .isOk());
    ASSERT_TRUE(server_
                    ->route({"/pre/long/", true},
                            [](const ctrl::HttpServerRequest& r) {
                              return text("long " + std::string(r.path()));
                            })
                    .isOk());
    ASSERT_TRUE(server_->start("127.0.0.1:0").isOk());
    ASSERT_GT(server_->port(), 0);
  }
  void TearDown() override {
    if (server_) server_->stop();
  }
  std::unique_ptr<ctrl::HttpServer> server_;
};

TEST_F(BeastServer, ServesGetHandlersAnd405ForOtherMethods) {
  start();
  Response r = send(server_->port(), makeRequest(http::verb::get, "/healthz"));
  EXPECT_EQ(r.result_int(), 200);
  EXPECT_EQ(r.body(), "ok at /healthz");
  r = send(server_->port(), makeRequest(http::verb::post, "/healthz"));
  EXPECT_EQ(r.result_int(), 405);
  EXPECT_EQ(r[http::field::allow], "GET");
  r = send(server_->port(), makeRequest(http::verb::get, "/nowhere"));
  EXPECT_EQ(r.result_int(), 404);
}

TEST_F(BeastServer, RoutesSeeMethodTargetHeadersAndBody) {
  start();
  auto req = makeRequest(http::verb::put, "/echo?q=1");
  req.insert("X-Thing", "first");
  req.insert("X-Thing", "second");
  req.body() = "payload";
  Response r = send(server_->port(), req);
  EXPECT_EQ(r.result_int(), 202);
  EXPECT_EQ(r.body(), "PUT /echo?q=1 /echo first 2 payload");
  EXPECT_EQ(r["X-Answer"], "42");
  // A header value with a line break is dropped, never sent.
  EXPECT_EQ(r.count("X-Bad"), 0u);
  EXPECT_EQ(r.count("Injected"), 0u);
}

TEST_F(BeastServer, TheLongestPrefixRouteWins) {
  start();
  EXPECT_EQ(send(server_->port(), makeRequest(http::verb::get, "/pre/a")).body(), "short /pre/a");
  EXPECT_EQ(send(server_->port(), makeRequest(http::verb::delete_, "/pre/long/b")).body(),
            "long /pre/long/b");
  EXPECT_EQ(send(server_->port(), makeRequest(http::verb::get, "/pre")).result_int(), 404);
}

TEST_F(BeastServer, ServesManyRequestsOnOneKeepAliveConnection) {
  start();
  net::io_context io;
  beast::tcp_stream stream(io);
  stream.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(server_->port())));
  for (int i = 0; i < 5; ++i) {
    Response r = exchange(stream, makeRequest(http::verb::get, "/healthz"));
    EXPECT_EQ(r.result_int(), 200) << i;
    EXPECT_TRUE(r.keep_alive());
  }
}

TEST_F(BeastServer, OversizedHeadersGet431AndOversizedBodies413) {
  ctrl::BeastHttpServerOptions o;
  o.maxHeaderBytes = 1024;
  o.maxBodyBytes = 16;
  start(o);
  auto big = makeRequest(http::verb::get, "/echo");
  big.set("Authorization", "Bearer " + std::string(2048, 'a'));
  EXPECT_EQ(send(server_->port(), big).result_int(), 431);
  auto body = makeRequest(http::verb::post, "/echo");
  body.body() = std::string(17, 'x');
  EXPECT_EQ(send(server_->port(), body).result_int(), 413);
  body.body() = std::string(16, 'x');
  EXPECT_EQ(send(server_->port(), body).result_int(), 202);
}

TEST_F(BeastServer, AMalformedRequestGets400) {
  start();
  net::io_context io;
  tcp::socket socket(io);
  socket.connect(tcp::endpoint(net::ip::make_address("127.0.0.1"),
                               static_cast<unsigned short>(server_->port())));
  net::write(socket, net::buffer(std::string("GET /healthz HTTP/1.1\r\nBad Header\r\n\r\n")));
  beast::flat_buffer buffer;
  Response r;
  http::read(socket, buffer, r);
  EXPECT_EQ(r.result_int(), 400);
}

TEST_F(BeastServer, RoutesAreRefusedAfterStartAndStopIsIdempotent) {
  start();
  EXPECT_FALSE(
      server_->route({"/late", false}, [](const ctrl::HttpServerRequest&) { return text("late"); })
          .isOk());
  const int port = server_->port();
  server_->stop();
  server_->stop();
  EXPECT_EQ(server_->port(), 0);
  net::io_context io;
  tcp::socket socket(io);
  beast::error_code ec;
  socket.connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)), ec);
  EXPECT_TRUE(ec);
}

TEST(BeastServerAddress, RefusesMalformedAddresses) {
  auto server = std::move(ctrl::makeBeastHttpServer()).value();
  EXPECT_EQ(server->start("nonsense").code(), ctrl::Code::kInvalidArgument);
  EXPECT_EQ(server->start("127.0.0.1:99999").code(), ctrl::Code::kInvalidArgument);
  EXPECT_TRUE(server->start("0").isOk());  // disabled
  EXPECT_EQ(server->port(), 0);
}

// ------------------------------------------------------------------- TLS

// The common name of the certificate the server presents on a new
// connection, after a request over it succeeded.
std::string servedCommonName(int port) {
  net::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  ctx.set_verify_mode(ssl::verify_none);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).connect(
      tcp::endpoint(net::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)));
  stream.handshake(ssl::stream_base::client);
  X509* cert = SSL_get1_peer_certificate(stream.native_handle());
  if (cert == nullptr) return "<none>";
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  X509_free(cert);
  Response r = exchange(stream, makeRequest(http::verb::get, "/healthz"));
  if (r.result_int() != 200) return "<request failed>";
  return cn;
}

// Replaces a file the way a Kubernetes Secret volume does: a new file
// renamed over the old one.
void replaceFile(const sttest::TempDir& dir, const std::string& name, const std::string& content) {
  const std::string tmp = dir.write(name + ".new", content);
  std::filesystem::rename(tmp, dir.file(name));
}

TEST(BeastServerTls, ServesHttpsWithTheGivenCertificate) {
  sttest::TempDir dir;
  sttest::TestCert a = sttest::makeSelfSignedCert("cert-a");
  ctrl::BeastHttpServerOptions o;
  o.tlsCertFile = dir.write("tls.crt", a.certPem);
  o.tlsKeyFile = dir.write("tls.key", a.keyPem);
  auto server = std::move(ctrl::makeBeastHttpServer(o)).value();
  server->handle("/healthz", [](const std::string&) { return text("ok"); });
  ASSERT_TRUE(server->start("127.0.0.1:0").isOk());
  EXPECT_EQ(servedCommonName(server->port()), "cert-a");
  // Plain HTTP on the TLS port gets no answer.
  EXPECT_EQ(send(server->port(), makeRequest(http::verb::get, "/healthz")).result_int(),
            static_cast<int>(http::status::unknown));
  server->stop();
}

TEST(BeastServerTls, ReloadsTheCertificateWhenItsFilesChange) {
  sttest::TempDir dir;
  sttest::FakeClock clock;
  sttest::TestCert a = sttest::makeSelfSignedCert("cert-a");
  sttest::TestCert b = sttest::makeSelfSignedCert("cert-b");
  std::vector<ctrl::Status> reloads;
  std::mutex mu;
  ctrl::BeastHttpServerOptions o;
  o.tlsCertFile = dir.write("tls.crt", a.certPem);
  o.tlsKeyFile = dir.write("tls.key", a.keyPem);
  o.tlsReloadInterval = std::chrono::seconds(10);
  o.clock = &clock;
  o.onTlsReload = [&](const ctrl::Status& s) {
    std::lock_guard lock(mu);
    reloads.push_back(s);
  };
  auto server = std::move(ctrl::makeBeastHttpServer(o)).value();
  server->handle("/healthz", [](const std::string&) { return text("ok"); });
  ASSERT_TRUE(server->start("127.0.0.1:0").isOk());
  ASSERT_EQ(servedCommonName(server->port()), "cert-a");

  replaceFile(dir, "tls.crt", b.certPem);
  replaceFile(dir, "tls.key", b.keyPem);
  // Not looked at again before the interval has passed.
  EXPECT_EQ(servedCommonName(server->port()), "cert-a");
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(servedCommonName(server->port()), "cert-b");
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(reloads.size(), 1u);
    EXPECT_TRUE(reloads[0].isOk());
  }

  // A certificate whose key does not match is refused; the last good one stays.
  replaceFile(dir, "tls.crt", a.certPem);
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(servedCommonName(server->port()), "cert-b");
  {
    std::lock_guard lock(mu);
    ASSERT_EQ(reloads.size(), 2u);
    EXPECT_FALSE(reloads[1].isOk());
    EXPECT_THAT(reloads[1].message(), HasSubstr("does not match"));
  }
  // Completing the pair makes it load.
  replaceFile(dir, "tls.key", a.keyPem);
  clock.advance(std::chrono::seconds(10));
  EXPECT_EQ(servedCommonName(server->port()), "cert-a");
  server->stop();
}

TEST(BeastServerTls, BadTlsFilesAreRefusedAtCreation) {
  sttest::TempDir dir;
  sttest::TestCert a = sttest::makeSelfSignedCert("cert-a");
  sttest::TestCert b = sttest::makeSelfSignedCert("cert-b");
  ctrl::BeastHttpServerOptions o;
  o.tlsCertFile = dir.write("tls.crt", a.certPem);
  EXPECT_EQ(ctrl::makeBeastHttpServer(o).status().code(), ctrl::Code::kInvalidArgument);
  o.tlsKeyFile = dir.write("tls.key", b.keyPem);
  auto mismatched = ctrl::makeBeastHttpServer(o);
  EXPECT_THAT(mismatched.status().message(), HasSubstr("does not match"));
  o.tlsKeyFile = dir.write("garbage.key", "not a key");
  EXPECT_THAT(ctrl::makeBeastHttpServer(o).status().message(), HasSubstr("not a PEM private key"));
  o.tlsKeyFile = dir.file("missing.key");
  EXPECT_FALSE(ctrl::makeBeastHttpServer(o).isOk());
}

}  // namespace
