// A minimal HTTP(S) server seam for /metrics, /healthz and /readyz.
// Implemented with cpprestsdk next to the client transport (src/rest/), so the
// archived library stays in one directory.
#pragma once

#include <functional>
#include <memory>
#include <string>

#include "controller/status.h"
#include "controller/transport.h"

namespace ctrl {

struct HttpServerResponse {
  int status = 200;
  std::string contentType = "text/plain; charset=utf-8";
  std::string body;
};

// Handles GET requests for one exact path. Called on a library thread: must
// be quick and must not block.
using HttpHandler = std::function<HttpServerResponse(const std::string& path)>;

// What an asynchronous handler learns about a request.
struct HttpServerRequest {
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
using AsyncHttpHandler = std::function<void(const HttpServerRequest& request, HttpReply reply)>;

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
