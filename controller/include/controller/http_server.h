// A minimal HTTP server seam for /metrics, /healthz and /readyz. Implemented
// with cpprestsdk next to the client transport (src/rest/), so the archived
// library stays in one directory.
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

class HttpServer {
 public:
  virtual ~HttpServer() = default;
  // Registers a handler for `path` (exact match). Call before start().
  virtual void handle(const std::string& path, HttpHandler handler) = 0;
  // Starts listening on `address` ("127.0.0.1:8080", ":8080" or "0" for
  // disabled). Errors: Unavailable when the port cannot be bound,
  // InvalidArgument for a malformed address. Unknown paths get 404.
  virtual Status start(const std::string& address) = 0;
  // The port actually bound (useful with port 0 in tests); 0 when not started.
  virtual int port() const = 0;
  // Stops listening; waits for in-flight handlers. Idempotent.
  virtual void stop() = 0;
};

std::unique_ptr<HttpServer> makeCppRestHttpServer();

}  // namespace ctrl
