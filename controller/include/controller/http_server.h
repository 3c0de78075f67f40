// A minimal HTTP(S) server seam for /metrics, /healthz and /readyz, and for
// the verifier's endpoints (routes that see the method, headers and body).
// Implemented with cpprestsdk next to the client transport (src/rest/), so
// the archived library stays in one directory, and with Boost.Beast
// (beast_http_server.h) where throughput and TLS matter.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/status.h"
#include "controller/transport.h"

namespace ctrl {

struct HttpServerResponse {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
  // Extra response headers (name, value). Values must not contain CR or LF.
  // Servers that only serve GET handlers (cpprest) may ignore them.
  std::vector<std::pair<std::string, std::string>> headers = {};
};

// One request, as a route handler sees it. Valid only during the call.
class HttpServerRequest {
 public:
  virtual ~HttpServerRequest() = default;
  // "GET", "POST", ... as sent.
  virtual std::string_view method() const = 0;
  // The request-target as sent (path and query).
  virtual std::string_view target() const = 0;
  // The target without its query.
  virtual std::string_view path() const = 0;
  // The value of the first header named `name` (case-insensitive), "" when
  // there is none.
  virtual std::string_view header(std::string_view name) const = 0;
  // How many headers named `name` the request carries.
  virtual size_t headerCount(std::string_view name) const = 0;
  virtual std::string_view body() const = 0;
};

// A route: `path` exactly, or every path that starts with `path` when
// `prefix` (the longest matching prefix wins; exact routes win over prefixes).
struct HttpRoute {
  std::string path;
  bool prefix = false;
};

// Handles requests of any method on a route. Called on a server thread:
// must be quick and must not block. Must not throw (an exception gives 500).
using HttpRequestHandler = std::function<HttpServerResponse(const HttpServerRequest& request)>;

// Handles GET requests for one exact path. Called on a library thread: must
// be quick and must not block.
using HttpHandler = std::function<HttpServerResponse(const std::string& path)>;

// What an asynchronous handler learns about a request.
struct AsyncHttpRequest {
  std::string path;
  // The Authorization header, "" when absent. A credential: never log it.
  std::string authorization;
};

// Sends the response. Call exactly once, from any thread; later calls, and a
// call after the server stopped, do nothing.
using HttpReply = std::function<void(HttpServerResponse response)>;

// Handles GET requests for one exact path when the answer needs work that
// may block (e.g. asking the API server who the caller is). Called on a
// library thread: must return quickly, handing the work to a thread of its
// own, which then calls `reply`.
using AsyncHttpHandler = std::function<void(const AsyncHttpRequest& request, HttpReply reply)>;

// PEM material for an HTTPS server.
struct HttpServerTls {
  std::string certificatePem;  // the serving certificate, then any intermediates
  std::string privateKeyPem;   // its unencrypted key (EC, RSA or Ed25519)
};

// The TLS material to serve with: asked for at start() and again for every
// new connection, so a renewed certificate is used without a restart. Return
// the same pointer while nothing changed (it is parsed once per pointer).
// Must be quick and thread-safe; must not return null.
using HttpServerTlsSource = std::function<std::shared_ptr<const HttpServerTls>()>;

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Registers a handler for `path` (exact match). Call before start().
  virtual void handle(const std::string& path, HttpHandler handler) = 0;
  // As handle(), for an asynchronous handler. Call before start().
  virtual void handleAsync(const std::string& path, AsyncHttpHandler handler) = 0;
  // Registers a handler for every method on `route`. Call before start().
  // Errors: InvalidArgument from servers that serve GET handlers only (the
  // default).
  virtual Status route(HttpRoute route, HttpRequestHandler handler) {
    (void)route;
    (void)handler;
    return Status(Code::kInvalidArgument, "this HTTP server serves GET handlers only");
  }
  // Starts listening on `address` ("127.0.0.1:8080", ":8080" or "0" for
  // disabled). Errors: Unavailable when the port cannot be bound,
  // InvalidArgument for a malformed address. Unknown paths get 404.
  virtual Status start(const std::string& address) = 0;
  // The port actually bound (useful with port 0 in tests); 0 when not started.
  virtual int port() const = 0;
  // Stops listening; waits for in-flight handlers (an asynchronous one until
  // it replied). Idempotent.
  virtual void stop() = 0;
};

// Plain HTTP.
std::unique_ptr<HttpServer> makeCppRestHttpServer();
// HTTPS (TLS 1.2 or newer) with the material `tls` returns. start() fails
// with InvalidArgument when that material does not parse or the key does not
// match the certificate (the material is never quoted). A renewed material
// that does not parse is logged and the previous one kept.
std::unique_ptr<HttpServer> makeCppRestHttpsServer(HttpServerTlsSource tls);

}  // namespace ctrl
