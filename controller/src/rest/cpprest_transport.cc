// The cpprestsdk-backed Transport. This file (with cpprest_http_server.cc) is
// the only place that includes cpprest headers.
//
// Notes on cpprestsdk 2.10 (asio backend) that shape this code:
// - http_client_config::set_timeout is an idle timer, reset on every chunk.
//   send() enforces its own overall deadline, so all send() calls share one
//   client (one keep-alive pool); stream() uses request.timeout as the idle
//   timeout, so stream clients are kept per timeout value, apart from it.
// - Each client has a connection pool without a size limit: concurrent
//   requests each take an idle connection or open a new one, never queue.
// - Every new connection gets a fresh OpenSSL context, into which the library
//   first loads the system CA bundle (SSL_CTX_set_default_verify_paths: about
//   20 ms of PEM parsing here, before our callback runs and replaces the
//   store; we cannot skip it), then calls our callback. Keep-alive reuse is
//   what keeps that rare; our own CA, certificate and key are parsed once
//   (rest/tls_setup.h). No TLS session resumption: each context is new.
// - Cancelling the pplx token closes the connection, which fails any pending
//   body read: that is how a stop request interrupts a blocked watch, and why
//   we cancel only an exchange we abandon (a cancel after the response was
//   complete can still land before the library deregisters it, and would
//   close a healthy keep-alive connection).
// - A pooled connection may have been closed by the server (restart, idle
//   close). The library replays a request by itself (any method, on the next
//   pooled or a new connection) when reading the status line of a reused
//   connection fails with EOF or a reset, unless the request's body stream
//   cannot seek. The server may have executed that request, so every method
//   but GET/HEAD carries a non-seekable body (a producer_consumer_buffer,
//   empty for a DELETE without options): the library then fails the request
//   instead, and we return Unavailable. Reads keep the library's replay. This
//   keeps writes on the shared keep-alive pool; the alternative (a fresh
//   connection per write) costs a TCP connect plus a TLS handshake and the
//   library's ~20 ms CA-bundle load per write. A failure while writing the
//   request reaches us, and we replay it once on a fresh client
//   (failedWhileWriting): the server cannot have acted on a request it did
//   not receive. Anything else (a fresh connection failing, a failure
//   mid-response) is returned as is.
// - A send() that times out retires the whole send client: its pooled idle
//   connections went through the same network and may be just as silent (a
//   half-open path answers no byte, and TCP keepalive does not notice while
//   the far end's kernel still acknowledges). Without that, after a
//   partition each pooled connection would cost a request its full timeout.
// - Continuations run on the library's shared pool and never block there; the
//   waiting (.get(), future waits) happens on the caller's thread.
// - TCP keepalive (rest/tcp_keepalive.h) is set through the library's native
//   handle callback, which sees each connection's socket before a request:
//   reused sockets get it directly, new ones are opened by the callback first
//   when the server is an IP address (the library connects an open socket).
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <cpprest/producerconsumerstream.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <stdexcept>
#include <stop_token>
#include <string_view>
#include <vector>

#include "base/exception_type.h"
#include "controller/transport.h"
#include "rest/pem.h"
#include "rest/pending_exchanges.h"
#include "rest/tcp_keepalive.h"
#include "rest/tls_setup.h"

namespace ctrl {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::client::http_client;
using web::http::client::http_client_config;

constexpr size_t kMaxErrorBodyBytes = 64 << 10;  // non-200 answers to a stream
constexpr size_t kMaxLineBytes = 64 << 20;       // one watch event
constexpr size_t kMaxReadBytes = 64 << 10;       // one read from the body buffer
constexpr size_t kMaxStreamClients = 8;          // distinct stream idle timeouts kept
// How long destroying the transport waits for cancelled exchanges to finish
// (closing a connection is quick; this only bounds a library that hangs).
constexpr std::chrono::seconds kAbandonedExchangePatience{10};
// The library's idle timer for send(): send() bounds the whole exchange with
// request.timeout itself, so this only has to stay out of the way.
constexpr std::chrono::hours kSendIdleTimeout(24);

// Turns the exception of a failed cpprest operation into a Status. Messages
// come from the library's fixed texts ("Error in SSL handshake"); they never
// contain headers or bodies.
Status statusFromException(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const web::http::http_exception& e) {
    if (e.error_code().value() == static_cast<int>(std::errc::timed_out)) {
      return errorStatus(Code::kTimeout, std::string("request timed out: ") + e.what());
    }
    if (std::string_view(e.what()).starts_with("cannot rewind input stream")) {
      // The library wanted to replay a write on a new connection and could
      // not (see buildRequest): say what happened, not why it gave up.
      return errorStatus(Code::kUnavailable,
                         "the connection closed before the response; the request was not sent "
                         "again (the server may have acted on it)");
    }
    return errorStatus(Code::kUnavailable, std::string("request failed: ") + e.what());
  } catch (const pplx::task_canceled&) {
    return errorStatus(Code::kCancelled, "request cancelled");
  } catch (const std::bad_alloc&) {
    return errorStatus(Code::kInternal, "out of memory");
  } catch (const std::exception&) {
    // Not the library's own fixed texts: report the type only.
    return errorStatus(Code::kUnavailable, "request failed: " + internal::currentExceptionType());
  } catch (...) {
    return errorStatus(Code::kInternal, "request failed with an unknown error");
  }
}

// True when the request failed while being written to the connection. The
// server cannot have acted on a request it did not receive in full, so it is
// safe to send it again, whatever the method (Go's net/http replays in the
// same case). cpprest 2.10 (asio) reports these failures with fixed texts
// ("Failed to write request headers" / "... body"), and its error codes do
// not say which phase failed, so the text is what we match. Timeouts and
// cancellations (whose texts may be the same) are excluded by their codes.
bool failedWhileWriting(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const web::http::http_exception& e) {
    const int code = e.error_code().value();
    if (code == static_cast<int>(std::errc::timed_out) ||
        code == static_cast<int>(std::errc::operation_canceled)) {
      return false;
    }
    return std::string_view(e.what()).starts_with("Failed to write request");
  } catch (...) {
    return false;
  }
}

// All response headers (the client acts on Retry-After, for one). Copied,
// never logged.
std::vector<std::pair<std::string, std::string>> copyHeaders(const web::http::http_headers& in) {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(in.size());
  for (const auto& [name, value] : in) out.emplace_back(name, value);
  return out;
}

bool hasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Whether the library may send `method` twice: only reads. Everything else
// may have been executed by the server when a reused connection breaks
// before the answer, so it must reach the server at most once.
bool isReplayable(std::string_view method) { return method == "GET" || method == "HEAD"; }

// Cancels the request when the scope ends, unless dismissed: cancelling
// closes the connection, so an abandoned exchange (timeout, stop, half-read
// body) never leaves its connection in the pool. A completed exchange is
// dismissed and keeps its keep-alive connection.
class CancelOnExit {
 public:
  explicit CancelOnExit(pplx::cancellation_token_source& cts) : cts_(cts) {}
  ~CancelOnExit() {
    if (armed_) cts_.cancel();
  }
  CancelOnExit(const CancelOnExit&) = delete;
  CancelOnExit& operator=(const CancelOnExit&) = delete;
  void dismiss() { armed_ = false; }

 private:
  pplx::cancellation_token_source& cts_;
  bool armed_ = true;
};

// What one attempt of send() produced, and whether it may be sent again.
struct Attempt {
  StatusOr<HttpResponse> result;
  bool replayable = false;
  // The body was left unread: the connection must be closed, not pooled.
  bool abandoned = false;
};

class CppRestTransport final : public Transport {
 public:
  CppRestTransport(RestConfig config, web::uri base, std::shared_ptr<const rest::TlsSetup> tls)
      : config_(std::move(config)), base_(std::move(base)), tls_(std::move(tls)) {}
  // An exchange send() abandoned (a timeout) was cancelled, but finishes on
  // the library's threads; wait for that before the clients go.
  ~CppRestTransport() override {
    pending_.waitUntilNone(std::chrono::steady_clock::now() + kAbandonedExchangePatience);
  }
  CppRestTransport(const CppRestTransport&) = delete;
  CppRestTransport& operator=(const CppRestTransport&) = delete;

  using Transport::send;
  StatusOr<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override;
  StatusOr<HttpResponse> stream(const HttpRequest& request, const LineHandler& onLine,
                                std::stop_token stop) override;

 private:
  using ClientPtr = std::shared_ptr<http_client>;

  ClientPtr newClient(std::chrono::milliseconds idleTimeout) const;
  ClientPtr sendClient();
  ClientPtr streamClient(std::chrono::milliseconds idleTimeout);
  // Drops `failed` (and the idle connections in its pool, which are likely
  // as dead as the one that failed) if it is still in use, so the next
  // request opens a fresh connection. In-flight requests keep their own
  // reference.
  void discardClient(const ClientPtr& failed);
  StatusOr<http_request> buildRequest(const HttpRequest& request) const;
  std::future<Attempt> startSend(http_client& client, http_request request, size_t maxResponseBytes,
                                 const pplx::cancellation_token& token);

  const RestConfig config_;
  const web::uri base_;
  const std::shared_ptr<const rest::TlsSetup> tls_;  // null for plain http
  std::mutex mu_;
  ClientPtr sendClient_;  // every send(), whatever its timeout
  // Keyed by idle timeout in ms. Each client keeps its own keep-alive pool.
  std::map<int64_t, ClientPtr> streamClients_;
  rest::PendingExchanges pending_;  // send() exchanges whose last step has not run
};

CppRestTransport::ClientPtr CppRestTransport::newClient(
    std::chrono::milliseconds idleTimeout) const {
  http_client_config cfg;
  cfg.set_timeout(idleTimeout);
  cfg.set_validate_certificates(!config_.insecureSkipTlsVerify);
  cfg.set_nativehandle_options(rest::keepAliveOnEachRequest(base_.host(), tls_ != nullptr));
  if (tls_) {
    // Runs once per new connection, on whichever thread opens it; the
    // callback owns the material, so it outlives the transport if need be.
    cfg.set_ssl_context_callback([tls = tls_](boost::asio::ssl::context& ctx) {
      if (!tls->applyTo(ctx.native_handle())) {
        throw std::runtime_error("cannot set up the TLS context");
      }
    });
  }
  return std::make_shared<http_client>(base_, cfg);
}

CppRestTransport::ClientPtr CppRestTransport::sendClient() {
  std::lock_guard lock(mu_);
  if (!sendClient_) sendClient_ = newClient(kSendIdleTimeout);
  return sendClient_;
}

CppRestTransport::ClientPtr CppRestTransport::streamClient(std::chrono::milliseconds idleTimeout) {
  std::lock_guard lock(mu_);
  auto it = streamClients_.find(idleTimeout.count());
  if (it != streamClients_.end()) return it->second;
  ClientPtr client = newClient(idleTimeout);
  // In-flight requests hold their own reference, so dropping one is safe.
  if (streamClients_.size() >= kMaxStreamClients) streamClients_.erase(streamClients_.begin());
  streamClients_.emplace(idleTimeout.count(), client);
  return client;
}

void CppRestTransport::discardClient(const ClientPtr& failed) {
  std::lock_guard lock(mu_);
  if (sendClient_ == failed) sendClient_.reset();
  std::erase_if(streamClients_, [&](const auto& entry) { return entry.second == failed; });
}

StatusOr<http_request> CppRestTransport::buildRequest(const HttpRequest& request) const {
  if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return errorStatus(Code::kInvalidArgument, "invalid HTTP method");
  }
  if (request.target.empty() || request.target[0] != '/' || !web::uri::validate(request.target)) {
    return errorStatus(Code::kInvalidArgument, "invalid request target " + request.target);
  }
  if (request.timeout <= std::chrono::milliseconds::zero()) {
    return errorStatus(Code::kInvalidArgument, "request timeout must be positive");
  }
  http_request req(request.method);
  try {
    req.set_request_uri(web::uri(request.target));
  } catch (const std::exception&) {
    return errorStatus(Code::kInvalidArgument, "invalid request target " + request.target);
  }
  std::string contentType = "application/json";
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || hasLineBreak(name) || hasLineBreak(value)) {
      return errorStatus(Code::kInvalidArgument, "invalid header " + name);
    }
    if (utility::details::str_iequal(name, "Content-Type")) {
      contentType = value;
    } else {
      req.headers().add(name, value);
    }
  }
  if (!req.headers().has("User-Agent")) req.headers().add("User-Agent", config_.userAgent);
  if (config_.bearerToken) {
    const std::string token = config_.bearerToken();
    if (hasLineBreak(token)) {
      return errorStatus(Code::kInvalidArgument, "the bearer token contains a line break");
    }
    if (!token.empty()) req.headers().add("Authorization", "Bearer " + token);
  }
  if (!isReplayable(request.method)) {
    // A body the library cannot rewind: when a reused connection fails before
    // the status line, cpprest would send the request again, and it refuses to
    // only when the body stream cannot seek. Every write carries one, even an
    // empty DELETE (without a body the library would replay it).
    concurrency::streams::producer_consumer_buffer<uint8_t> buffer;
    if (!request.body.empty()) {
      buffer.putn_nocopy(reinterpret_cast<const uint8_t*>(request.body.data()), request.body.size())
          .wait();  // copies synchronously
    }
    buffer.close(std::ios_base::out).wait();
    req.set_body(buffer.create_istream(), request.body.size(), contentType);
    if (request.body.empty()) req.headers().remove(web::http::header_names::content_type);
  } else if (!request.body.empty()) {
    // Bytes, not a std::string: cpprest would type-pun a string buffer.
    req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
    req.headers().set_content_type(contentType);
  }
  return req;
}

// A response body read chunk by chunk, never past `limit` bytes.
struct LimitedBody {
  concurrency::streams::streambuf<uint8_t> source;
  size_t limit = 0;
  std::string bytes;
  std::vector<uint8_t> chunk = std::vector<uint8_t>(kMaxReadBytes);
  bool tooLarge = false;
};

// Reads `body->source` to its end, or until more than `body->limit` bytes
// came (then sets tooLarge and stops reading). Runs on the library's pool.
pplx::task<void> readLimited(std::shared_ptr<LimitedBody> body) {
  // What is buffered, or one byte: a fixed larger read would wait until
  // filled, past the limit check.
  const size_t want = std::clamp<size_t>(body->source.in_avail(), 1, body->chunk.size());
  return body->source.getn(body->chunk.data(), want).then([body](size_t got) -> pplx::task<void> {
    if (got == 0) return pplx::task_from_result();
    if (body->bytes.size() + got > body->limit) {
      body->tooLarge = true;
      return pplx::task_from_result();
    }
    body->bytes.append(reinterpret_cast<const char*>(body->chunk.data()), got);
    return readLimited(body);
  });
}

Status tooLarge(size_t limit) {
  return errorStatus(Code::kInternal,
                     "response body larger than the limit of " + std::to_string(limit) + " bytes");
}

std::future<Attempt> CppRestTransport::startSend(http_client& client, http_request request,
                                                 size_t maxResponseBytes,
                                                 const pplx::cancellation_token& token) {
  auto done = std::make_shared<std::promise<Attempt>>();
  auto result = done->get_future();
  client.request(std::move(request), token)
      .then([done, maxResponseBytes](http_response response) -> pplx::task<void> {
        // A declared length over the limit fails before a byte is read.
        const auto declared = response.headers().content_length();
        if (declared > maxResponseBytes) {
          done->set_value(Attempt{tooLarge(maxResponseBytes), false, true});
          return pplx::task_from_result();
        }
        auto body = std::make_shared<LimitedBody>();
        body->source = response.body().streambuf();
        body->limit = maxResponseBytes;
        return readLimited(body).then([done, response, body] {
          if (body->tooLarge) {
            done->set_value(Attempt{tooLarge(body->limit), false, true});
            return;
          }
          HttpResponse out;
          out.status = response.status_code();
          out.body = std::move(body->bytes);
          out.headers = copyHeaders(response.headers());
          done->set_value(Attempt{std::move(out), false});
        });
      })
      // The ticket goes with this last step, when the library has run it.
      .then([done, ticket = pending_.enter()](pplx::task<void> task) {
        try {
          task.get();
        } catch (...) {
          const std::exception_ptr error = std::current_exception();
          done->set_value(Attempt{statusFromException(error), failedWhileWriting(error)});
        }
      });
  return result;
}

StatusOr<HttpResponse> CppRestTransport::send(const HttpRequest& request, std::stop_token stop) {
  auto req = buildRequest(request);
  if (!req.isOk()) return req.status();
  const auto cancelled = [] { return errorStatus(Code::kCancelled, "request cancelled"); };
  // The client's own timer only limits quiet gaps; this bounds the whole
  // exchange, replay included. On expiry, CancelOnExit closes the connection.
  const auto deadline = std::chrono::steady_clock::now() + request.timeout;
  pplx::cancellation_token_source cts;
  CancelOnExit cancelOnExit(cts);
  // A stop closes the connection, which completes the pending exchange.
  std::stop_callback onStop(stop, [&cts] { cts.cancel(); });
  if (stop.stop_requested()) return cancelled();
  for (int attempt = 1;; ++attempt) {
    const ClientPtr client = sendClient();
    if (request.beforeWrite && !request.beforeWrite()) {
      cancelOnExit.dismiss();
      return errorStatus(Code::kFenced, "the request's write check refused it; not sent");
    }
    std::future<Attempt> result;
    try {
      result =
          startSend(*client, std::move(req).value(), request.maxResponseBytes, cts.get_token());
    } catch (...) {
      return statusFromException(std::current_exception());
    }
    if (result.wait_until(deadline) != std::future_status::ready) {
      if (stop.stop_requested()) return cancelled();
      // No answer in time: the path to the server may be gone half-open,
      // and then so are the idle connections pooled beside this one. Retire
      // them all, or each would cost the next requests a full timeout.
      discardClient(client);
      return errorStatus(Code::kTimeout, "request timed out after " +
                                             std::to_string(request.timeout.count()) + " ms");
    }
    if (stop.stop_requested()) return cancelled();
    // Complete: the body was read to its end, or the library has already
    // closed the connection that failed.
    Attempt outcome = result.get();
    if (!outcome.replayable || attempt > 1) {
      if (!outcome.abandoned) cancelOnExit.dismiss();
      return std::move(outcome.result);
    }
    // A pooled connection died under us (typically: the server restarted).
    // Once, on a fresh connection; a request object is sent only once.
    discardClient(client);
    req = buildRequest(request);
    if (!req.isOk()) return req.status();
  }
}

StatusOr<HttpResponse> CppRestTransport::stream(const HttpRequest& request,
                                                const LineHandler& onLine, std::stop_token stop) {
  auto req = buildRequest(request);
  if (!req.isOk()) return req.status();
  pplx::cancellation_token_source cts;
  CancelOnExit cancelOnExit(cts);
  std::stop_callback onStop(stop, [&cts] { cts.cancel(); });
  const auto cancelled = [] { return errorStatus(Code::kCancelled, "stream stopped"); };
  if (stop.stop_requested()) return cancelled();

  http_response response;
  for (int attempt = 1;; ++attempt) {
    const ClientPtr client = streamClient(request.timeout);
    try {
      response = client->request(std::move(req).value(), cts.get_token()).get();
      break;
    } catch (...) {
      if (stop.stop_requested()) return cancelled();
      const std::exception_ptr error = std::current_exception();
      // As in send(): a request that could not be written is sent again
      // once, on a fresh connection.
      if (attempt > 1 || !failedWhileWriting(error)) return statusFromException(error);
      discardClient(client);
    }
    req = buildRequest(request);
    if (!req.isOk()) return req.status();
  }
  auto body = response.body().streambuf();
  const int status = response.status_code();
  const size_t limit = status == 200 ? kMaxLineBytes : kMaxErrorBodyBytes;

  std::string pending;  // bytes after the last newline (or the error body)
  size_t scanFrom = 0;  // no newline in pending before this offset
  std::vector<uint8_t> chunk;
  for (;;) {
    // Read what is already buffered, or wait for one byte: never ask for a
    // fixed amount that would block until filled.
    const size_t want = std::clamp<size_t>(body.in_avail(), 1, kMaxReadBytes);
    chunk.resize(want);
    size_t got = 0;
    try {
      got = body.getn(chunk.data(), want).get();
    } catch (...) {
      if (stop.stop_requested()) return cancelled();
      if (status != 200) break;  // keep the partial error body
      return statusFromException(std::current_exception()).withContext("reading the stream");
    }
    if (stop.stop_requested()) return cancelled();
    if (got == 0) {  // the server ended the body: the connection may be reused
      cancelOnExit.dismiss();
      break;
    }
    pending.append(reinterpret_cast<const char*>(chunk.data()), got);
    if (status != 200) {
      if (pending.size() >= limit) {
        pending.resize(limit);
        break;
      }
      continue;
    }
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', scanFrom)) != std::string::npos;) {
      if (!onLine(std::string_view(pending).substr(start, nl - start))) return cancelled();
      start = nl + 1;
      scanFrom = start;
    }
    pending.erase(0, start);
    scanFrom = pending.size();
    if (pending.size() > limit) {
      return errorStatus(Code::kInternal,
                         "watch event larger than " + std::to_string(limit) + " bytes");
    }
  }
  HttpResponse out;
  out.status = status;
  out.headers = copyHeaders(response.headers());
  if (status != 200) {
    out.body = std::move(pending);
    return out;
  }
  // A last line without a newline still counts (like Go's bufio.Scanner).
  if (!pending.empty() && !onLine(pending)) return cancelled();
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Transport>> makeCppRestTransport(const RestConfig& config) {
  const auto invalid = [](const std::string& what) {
    return errorStatus(Code::kInvalidArgument, what);
  };
  if (!web::uri::validate(config.server)) return invalid("invalid server URL " + config.server);
  web::uri base;
  try {
    base = web::uri(config.server);
  } catch (const std::exception&) {
    return invalid("invalid server URL " + config.server);
  }
  if ((base.scheme() != "https" && base.scheme() != "http") || base.host().empty()) {
    return invalid("server URL must be http(s)://host[:port]: " + config.server);
  }
  if (!config.caPem.empty()) {
    Status s = rest::checkCertificatesPem(config.caPem);
    if (!s.isOk()) return s.withContext("CA");
  }
  if (config.clientCertPem.empty() != config.clientKeyPem.empty()) {
    return invalid("a client certificate needs a client key and vice versa");
  }
  if (!config.clientCertPem.empty()) {
    Status s = rest::checkCertificatesPem(config.clientCertPem);
    if (!s.isOk()) return s.withContext("client certificate");
    s = rest::checkPrivateKeyPem(config.clientKeyPem);
    if (!s.isOk()) return s.withContext("client key");
    s = rest::checkKeyMatchesCertificate(config.clientCertPem, config.clientKeyPem);
    if (!s.isOk()) return s;
  }
  std::shared_ptr<const rest::TlsSetup> tls;
  if (base.scheme() == "https") {
    auto parsed = rest::TlsSetup::parse(config.caPem, config.clientCertPem, config.clientKeyPem);
    if (!parsed.isOk()) return parsed.status();
    tls = std::move(parsed).value();
  }
  try {
    return std::unique_ptr<Transport>(
        std::make_unique<CppRestTransport>(config, std::move(base), std::move(tls)));
  } catch (const std::exception&) {
    return errorStatus(Code::kInternal, "cannot create the HTTP client");
  }
}

}  // namespace ctrl
