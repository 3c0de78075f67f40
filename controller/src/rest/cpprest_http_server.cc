// The cpprestsdk-backed HttpServer (http_listener) for /metrics, /healthz and
// /readyz: exact-path GET handlers (synchronous or asynchronous), 404 for
// other paths, 405 for other methods; plain HTTP or HTTPS.
//
// HTTPS: cpprest builds a fresh OpenSSL context for every connection and lets
// us configure it in a callback. The material is parsed once per version the
// TLS source hands out (TlsSetup, shared by reference count) and installed by
// reference in each context.
//
// Port 0: http_listener cannot report the port it bound, so start() first
// binds a socket to port 0 to learn a free port, closes it, and listens there.
// Another process could take the port in between; start() then retries with
// a fresh port a few times. Fine for tests, which are the only users of port 0.
#include <cpprest/http_listener.h>

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <charconv>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "controller/http_server.h"
#include "rest/pem.h"
#include "rest/tls_setup.h"

namespace ctrl {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::experimental::listener::http_listener;

constexpr int kPortZeroAttempts = 5;

struct ListenAddress {
  std::string host;
  int port = 0;
};

// Parses "host:port", ":port" (all interfaces) or "[v6]:port".
StatusOr<ListenAddress> parseAddress(const std::string& address) {
  const auto invalid = [&] {
    return errorStatus(Code::kInvalidArgument,
                       "invalid listen address \"" + address + "\" (want host:port or :port)");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid();
  ListenAddress out;
  out.host = address.substr(0, colon);
  if (out.host.size() >= 2 && out.host.front() == '[' && out.host.back() == ']') {
    out.host = out.host.substr(1, out.host.size() - 2);
  } else if (out.host.find(':') != std::string::npos) {
    return invalid();
  }
  if (out.host.empty()) out.host = "0.0.0.0";
  const std::string port = address.substr(colon + 1);
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), out.port);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || out.port < 0 ||
      out.port > 65535) {
    return invalid();
  }
  return out;
}

// Binds a socket to host:0 and returns the port the kernel chose.
StatusOr<int> pickFreePort(const std::string& host) {
  try {
    boost::asio::io_context io;
    boost::asio::ip::tcp::resolver resolver(io);
    const auto endpoints = resolver.resolve(host, "0");
    if (endpoints.empty()) return errorStatus(Code::kUnavailable, "cannot resolve " + host);
    boost::asio::ip::tcp::acceptor acceptor(io, endpoints.begin()->endpoint());
    return static_cast<int>(acceptor.local_endpoint().port());
  } catch (const std::exception& e) {
    return errorStatus(Code::kUnavailable, "cannot bind " + host + ":0: " + e.what());
  }
}

std::string urlHost(const std::string& host) {
  return host.find(':') != std::string::npos ? "[" + host + "]" : host;
}

// Bytes, not a std::string: cpprest would type-pun a string buffer.
void setBody(http_response& response, const std::string& body, const std::string& contentType) {
  response.set_body(std::vector<unsigned char>(body.begin(), body.end()));
  response.headers().set_content_type(contentType);
}

// The parsed form of what an HttpServerTlsSource returns, re-parsed only when
// it returns a new pointer. Thread-safe.
class ServingTls {
 public:
  explicit ServingTls(HttpServerTlsSource source) : source_(std::move(source)) {}

  // Parses the current material. Errors: InvalidArgument, naming what is
  // wrong but never quoting the material.
  Status load() {
    std::shared_ptr<const HttpServerTls> material = source_ ? source_() : nullptr;
    if (material == nullptr) {
      return errorStatus(Code::kInvalidArgument, "no TLS material to serve with");
    }
    std::lock_guard lock(mu_);
    if (material == material_ && setup_ != nullptr) return Status::ok();
    auto setup = parse(*material);
    if (!setup.isOk()) return setup.status();
    material_ = std::move(material);
    setup_ = std::move(setup).value();
    return Status::ok();
  }

  // The setup to use for a new connection: the current material's, or the
  // last good one when the current one does not parse.
  std::shared_ptr<const rest::TlsSetup> current() {
    (void)load();  // a bad renewal keeps the previous material
    std::lock_guard lock(mu_);
    return setup_;
  }

 private:
  static StatusOr<std::shared_ptr<const rest::TlsSetup>> parse(const HttpServerTls& tls) {
    if (Status s = rest::checkCertificatesPem(tls.certificatePem); !s.isOk()) {
      return s.withContext("serving certificate");
    }
    if (Status s = rest::checkPrivateKeyPem(tls.privateKeyPem); !s.isOk()) {
      return s.withContext("serving key");
    }
    if (Status s = rest::checkKeyMatchesCertificate(tls.certificatePem, tls.privateKeyPem);
        !s.isOk()) {
      return s.withContext("serving key");
    }
    // TlsSetup presents a certificate and key the way a client does; a
    // server context takes them the same way.
    auto setup = rest::TlsSetup::parse("", tls.certificatePem, tls.privateKeyPem);
    if (!setup.isOk()) return setup.status().withContext("serving certificate");
    return setup;
  }

  HttpServerTlsSource source_;
  std::mutex mu_;
  std::shared_ptr<const HttpServerTls> material_;  // guarded by mu_
  std::shared_ptr<const rest::TlsSetup> setup_;    // guarded by mu_
};

// Replies once: the first call sends, later ones do nothing. Shared by the
// copies of an HttpReply.
class OnceReply {
 public:
  explicit OnceReply(http_request request) : request_(std::move(request)) {}
  void send(const http_response& response) {
    if (sent_.exchange(true)) return;
    try {
      // Observe the outcome: an unobserved failed pplx task terminates the
      // process (a client that hung up is not our problem).
      request_.reply(response).then([](pplx::task<void> done) {
        try {
          done.get();
        } catch (...) {
        }
      });
    } catch (...) {
      // The listener is gone: nobody is waiting for this reply.
    }
  }

 private:
  http_request request_;
  std::atomic<bool> sent_{false};
};

class CppRestHttpServer final : public HttpServer {
 public:
  CppRestHttpServer() = default;
  explicit CppRestHttpServer(HttpServerTlsSource tls)
      : tls_(std::make_shared<ServingTls>(std::move(tls))) {}
  ~CppRestHttpServer() override { stop(); }
  CppRestHttpServer(const CppRestHttpServer&) = delete;
  CppRestHttpServer& operator=(const CppRestHttpServer&) = delete;

  void handle(const std::string& path, HttpHandler handler) override {
    std::lock_guard lock(mu_);
    handlers_[path] = std::move(handler);
  }
  void handleAsync(const std::string& path, AsyncHttpHandler handler) override {
    std::lock_guard lock(mu_);
    asyncHandlers_[path] = std::move(handler);
  }

  Status start(const std::string& address) override;
  int port() const override {
    std::lock_guard lock(mu_);
    return port_;
  }
  void stop() override;

 private:
  Status listen(const std::string& host, int port);
  void serve(const http_request& request) const;
  static void serveAsync(const http_request& request, const AsyncHttpHandler& handler);

  mutable std::mutex mu_;
  std::map<std::string, HttpHandler> handlers_;
  std::map<std::string, AsyncHttpHandler> asyncHandlers_;
  std::shared_ptr<ServingTls> tls_;  // null: plain HTTP
  std::unique_ptr<http_listener> listener_;
  int port_ = 0;
};

Status CppRestHttpServer::start(const std::string& address) {
  if (address == "0") return Status::ok();  // disabled
  auto parsed = parseAddress(address);
  if (!parsed.isOk()) return parsed.status();
  {
    std::lock_guard lock(mu_);
    if (listener_) return errorStatus(Code::kInvalidArgument, "server already started");
  }
  if (tls_ != nullptr) {
    if (Status s = tls_->load(); !s.isOk()) return s;
  }
  if (parsed->port != 0) return listen(parsed->host, parsed->port);
  Status last;
  for (int attempt = 0; attempt < kPortZeroAttempts; ++attempt) {
    auto port = pickFreePort(parsed->host);
    if (!port.isOk()) return port.status();
    last = listen(parsed->host, *port);
    if (last.isOk()) return last;
  }
  return last;
}

Status CppRestHttpServer::listen(const std::string& host, int port) {
  const std::string scheme = tls_ != nullptr ? "https://" : "http://";
  const std::string url = scheme + urlHost(host) + ":" + std::to_string(port) + "/";
  try {
    web::http::experimental::listener::http_listener_config config;
    if (tls_ != nullptr) {
      // Runs for every new connection, on a library thread. A context left
      // without a certificate fails its handshake; it never throws.
      config.set_ssl_context_callback([tls = tls_](boost::asio::ssl::context& ctx) {
        const std::shared_ptr<const rest::TlsSetup> setup = tls->current();
        if (setup != nullptr) (void)setup->applyTo(ctx.native_handle());
      });
    }
    auto listener = std::make_unique<http_listener>(web::uri(url), config);
    listener->support([this](http_request request) { serve(request); });
    listener->open().wait();
    std::lock_guard lock(mu_);
    listener_ = std::move(listener);
    port_ = port;
    return Status::ok();
  } catch (const std::exception& e) {
    return errorStatus(Code::kUnavailable, "cannot listen on " + url + ": " + e.what());
  }
}

// Runs on a library thread: the handlers are quick by contract, and nothing
// here waits on a task.
void CppRestHttpServer::serve(const http_request& request) const {
  if (request.method() == web::http::methods::GET) {
    AsyncHttpHandler async;
    {
      std::lock_guard lock(mu_);
      auto it = asyncHandlers_.find(request.relative_uri().path());
      if (it != asyncHandlers_.end()) async = it->second;
    }
    if (async) {
      serveAsync(request, async);
      return;
    }
  }
  http_response response;
  if (request.method() != web::http::methods::GET) {
    response.set_status_code(web::http::status_codes::MethodNotAllowed);
    response.headers().add("Allow", "GET");
  } else {
    HttpHandler handler;
    {
      std::lock_guard lock(mu_);
      auto it = handlers_.find(request.relative_uri().path());
      if (it != handlers_.end()) handler = it->second;
    }
    if (!handler) {
      response.set_status_code(web::http::status_codes::NotFound);
      setBody(response, "404 page not found\n", "text/plain; charset=utf-8");
    } else {
      try {
        HttpServerResponse out = handler(request.relative_uri().path());
        response.set_status_code(static_cast<web::http::status_code>(out.status));
        setBody(response, out.body, out.contentType);
      } catch (const std::exception&) {
        response = http_response(web::http::status_codes::InternalError);
      }
    }
  }
  // Observe the reply's outcome: an unobserved failed pplx task terminates
  // the process (a client that hung up is not our problem).
  request.reply(response).then([](pplx::task<void> done) {
    try {
      done.get();
    } catch (...) {
    }
  });
}

void CppRestHttpServer::serveAsync(const http_request& request, const AsyncHttpHandler& handler) {
  AsyncHttpRequest info;
  info.path = request.relative_uri().path();
  const auto& headers = request.headers();
  if (auto it = headers.find(web::http::header_names::authorization); it != headers.end()) {
    info.authorization = it->second;
  }
  auto once = std::make_shared<OnceReply>(request);
  HttpReply reply = [once](HttpServerResponse out) {
    http_response response(static_cast<web::http::status_code>(out.status));
    setBody(response, out.body, out.contentType);
    once->send(response);
  };
  try {
    handler(info, reply);
  } catch (const std::exception&) {
    once->send(http_response(web::http::status_codes::InternalError));
  }
}

void CppRestHttpServer::stop() {
  std::unique_ptr<http_listener> listener;
  {
    std::lock_guard lock(mu_);
    listener = std::move(listener_);
    port_ = 0;
  }
  if (!listener) return;
  try {
    listener->close().wait();  // waits for in-flight requests
  } catch (const std::exception&) {
    // Already closed or broken: nothing left to stop.
  }
}

}  // namespace

std::unique_ptr<HttpServer> makeCppRestHttpServer() {
  return std::make_unique<CppRestHttpServer>();
}

std::unique_ptr<HttpServer> makeCppRestHttpsServer(HttpServerTlsSource tls) {
  return std::make_unique<CppRestHttpServer>(std::move(tls));
}

}  // namespace ctrl
