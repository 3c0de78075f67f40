// An HttpServer on Boost.Beast: many keep-alive connections served by a
// small pool of threads, optional TLS whose certificate is reloaded when its
// files change, and routes that see the method, headers and body
// (HttpServer::route). For the verifier's request path, where cpprestsdk's
// listener is too slow; the metrics and probe servers may use it too.
//
// Limits: request headers at most maxHeaderBytes (431 beyond), bodies at
// most maxBodyBytes (413 beyond); a connection idle (or a request not
// complete) for idleTimeout is closed.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "controller/clock.h"
#include "controller/http_server.h"
#include "controller/status.h"

namespace ctrl {

struct BeastHttpServerOptions {
  // PEM files: a certificate chain and its private key. Both set: HTTPS
  // (TLS 1.2 and 1.3 only); both empty: plain HTTP.
  std::string tlsCertFile;
  std::string tlsKeyFile;
  // New connections look at the files' modification time, size and inode at
  // most this often, and a changed pair is loaded for the connections that
  // follow (established ones keep theirs). Zero: at every connection.
  Duration tlsReloadInterval = std::chrono::seconds(1);
  // Told about reloads: OK when a new certificate is in use, the error when
  // the changed files could not be loaded (the previous certificate stays).
  // Called on a server thread; must be quick. May be empty.
  std::function<void(const Status&)> onTlsReload;
  // Threads running the handlers; 0: one per CPU.
  int threads = 0;
  size_t maxHeaderBytes = 32 * 1024;
  size_t maxBodyBytes = 64 * 1024;
  Duration idleTimeout = std::chrono::seconds(60);
  // For the reload interval. Null: RealClock::instance(). Must outlive the server.
  Clock* clock = nullptr;
};

// Errors: InvalidArgument when only one TLS file is given or the files do
// not hold a matching certificate and key (the message names the file,
// never its content).
StatusOr<std::unique_ptr<HttpServer>> makeBeastHttpServer(BeastHttpServerOptions options = {});

}  // namespace ctrl
