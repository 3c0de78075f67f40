// The one seam between our code and an HTTP library. Everything that talks to
// the API server goes through a Transport; cpprestsdk lives behind
// makeCppRestTransport() and nowhere else (it is archived upstream, so keeping
// it in one place keeps it replaceable).
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/status.h"

namespace ctrl {

struct HttpRequest {
  std::string method = "GET";  // GET, POST, PUT, PATCH, DELETE
  // Path plus query string, already escaped, e.g. "/api/v1/namespaces/a/secrets?limit=500".
  std::string target;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. {"Content-Type", "..."}
  std::string body;
  // For send(): the whole exchange. For stream(): the longest quiet gap
  // between two chunks (an idle timeout), so set it above the server-side
  // timeoutSeconds of a watch.
  std::chrono::milliseconds timeout{std::chrono::seconds(30)};
  // For send(): the largest response body accepted. A larger one fails with
  // Internal as soon as its Content-Length or the bytes read so far exceed
  // it; it is never read whole.
  size_t maxResponseBytes = 256 << 20;
  // For send(): when set, asked as late as the transport can before the
  // request is written (after building it and after any connect); false
  // means it must not be sent, and send() fails with Fenced, nothing
  // written. The client's write fence uses it, so that a process paused
  // between admitting a write and sending it (SIGSTOP, a long GC-like
  // stall) finds its grant expired and does not send a stale write.
  std::function<bool()> beforeWrite;
};

struct HttpResponse {
  int status = 0;
  std::string body;
  // Response headers a caller may act on; transports fill at least
  // Retry-After when the server sent it (names compared case-insensitively).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called for each newline-terminated line of a streamed body (without the
// newline). Return false to stop reading.
using LineHandler = std::function<bool(std::string_view line)>;

class Transport {
 public:
  virtual ~Transport() = default;

  // Sends one request and returns the full response, whatever its HTTP status.
  // Errors: Unavailable when the connection fails or breaks, Timeout when
  // request.timeout passes, InvalidArgument for a malformed request.
  // A write (every method but GET and HEAD) reaches the server at most once:
  // it is sent again only when it failed while being written (the server
  // cannot have acted on it), never after it was written in full, also not
  // on a reused keep-alive connection that breaks before the answer (then:
  // Unavailable). Reads may be sent again on a fresh connection.
  // Requesting `stop` abandons the exchange at once (closing its connection)
  // and returns Cancelled; the server may still have acted on it.
  // Thread-safe; may be called from many threads at once. Never logs bodies
  // or headers (they may carry secrets).
  virtual StatusOr<HttpResponse> send(const HttpRequest& request, std::stop_token stop) = 0;
  // send() without cancellation.
  StatusOr<HttpResponse> send(const HttpRequest& request) { return send(request, {}); }

  // Sends a request whose response body is a stream of lines (a watch). When
  // the response status is 200, calls `onLine` for each complete line, in
  // order, until the server ends the stream (returns {200, ""}), `onLine`
  // returns false, or `stop` is requested (both return Cancelled). Lines are
  // split on '\n', never on chunk boundaries. When the status is not 200,
  // returns it with the (size-limited) body and calls `onLine` never.
  // Errors as send(); a stream broken mid-way returns Unavailable.
  // Blocks the calling thread (use one of our own threads, never the
  // library's shared pool). Thread-safe.
  virtual StatusOr<HttpResponse> stream(const HttpRequest& request, const LineHandler& onLine,
                                        std::stop_token stop) = 0;
};

// How to reach and authenticate to one API server. Built by loadKubeconfig()
// or inClusterConfig() (controller/rest_config.h).
struct RestConfig {
  std::string server;  // "https://127.0.0.1:6443"
  std::string caPem;   // empty: the system trust store
  std::string clientCertPem;
  std::string clientKeyPem;
  // Returns the bearer token to send now, or "" for none. Called per request
  // so a rotated token file is picked up. Never logged.
  std::function<std::string()> bearerToken;
  bool insecureSkipTlsVerify = false;  // only when the kubeconfig says so
  std::string userAgent = "servicetoken-operator";
  // Client-side rate limit; 0 disables it (rely on API Priority and Fairness).
  double qps = 0;
  int burst = 0;
  std::string ns;  // the context's namespace, "" when unset (kubeconfig only)
};

// The default transport, on Boost.Beast: send() and stream() run the exchange
// on the calling thread, so neither a request nor a watch chunk costs a
// thread hand-off. send() uses a pool of keep-alive connections (one OpenSSL
// context for all of them); each stream() opens a connection of its own and
// closes it when the stream ends. Same contract, limits and errors as
// makeCppRestTransport, which stays available (--http-transport cpprest).
StatusOr<std::unique_ptr<Transport>> makeTransport(const RestConfig& config);

// Creates the cpprestsdk-backed transport. Errors: InvalidArgument when the
// server URL, certificate or key cannot be parsed.
StatusOr<std::unique_ptr<Transport>> makeCppRestTransport(const RestConfig& config);

}  // namespace ctrl
