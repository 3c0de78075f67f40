// The default Transport (makeTransport): send() and stream() on Boost.Beast,
// both run on the caller's own thread.
//
// Why: cpprestsdk's continuation model runs every step of an exchange (the
// response headers, each body chunk, the completion) as a task on its shared
// thread pool and hands the result back to the caller through a future, so a
// request costs several thread wake-ups and hand-offs (futex wait and wake)
// plus a task allocation per step. Converging 3,000 tokens spent 44% of its
// samples in the kernel, mostly there. Here the worker that asks is the thread
// that writes the request and reads the answer, with Beast's synchronous
// operations on a rest::DeadlineSocket (rest/deadline_socket.h): a request is
// a send, a poll and a receive, with no io_context queue, no timer and no
// other thread in between. Nothing else touches the connection meanwhile.
//
// - Connections are pooled (LIFO, bounded) and reused with HTTP/1.1
//   keep-alive; one OpenSSL context for all of them, set up once (no CA
//   bundle load per connection as cpprestsdk does).
// - Before an idle connection is reused, a zero-timeout poll() checks that
//   the server has not closed it meanwhile (an HTTP/1.1 server sends nothing
//   on an idle connection but its close): such a connection is dropped
//   before a request is written to it.
// - A write reaches the server at most once (transport.h): a request is sent
//   again, once and on a fresh connection, only when writing it failed; a
//   read (GET, HEAD) also when a reused connection broke before any byte of
//   the answer.
// - The deadline bounds the whole exchange (the socket's deadline, checked
//   in every wait); a stop request interrupts the connection's wait from the
//   requesting thread (DeadlineSocket::interrupt), and the connection is
//   dropped.
// - Watches (stream()) run the same way, each on a connection of its own:
//   opened for the stream (same TLS context, headers, TCP keepalive), never
//   taken from or given back to the pool, closed when the stream ends. A
//   watch lives for minutes, so the handshake it costs is noise, and this
//   way a stream's idle timer, a stop (which closes the socket) or a
//   half-read body can never leave a pooled connection in a strange state.
//   Every chunk is parsed as it arrives (Beast's parser with a buffer_body,
//   reading straight into the line splitter, rest/line_splitter.h); the
//   idle timeout is the socket's deadline, moved before every read. A stop
//   interrupts the stream's wait from the stopping thread.
#include <poll.h>

#include <algorithm>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <chrono>
#include <cstdint>
#include <limits>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "controller/transport.h"
#include "rest/deadline_socket.h"
#include "rest/line_splitter.h"
#include "rest/tcp_keepalive.h"
#include "rest/tls_setup.h"

namespace ctrl {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using rest::LineSplitter;

constexpr size_t kMaxIdleConnections = 64;
constexpr uint32_t kMaxHeaderBytes = 64 << 10;
// stream(): the same limits as the cpprest transport's.
constexpr size_t kMaxErrorBodyBytes = 64 << 10;  // non-200 answers to a stream
constexpr size_t kMaxLineBytes = 64 << 20;       // one watch event
constexpr size_t kStreamReadBytes = 64 << 10;    // one read of a streamed body

struct ServerAddress {
  std::string host;        // without brackets, for resolving and verifying
  std::string port;        // "443" when the URL has none
  std::string hostHeader;  // as in the URL, e.g. "[::1]:6443"
  bool tls = false;
};

// scheme://host[:port][/path] -> its parts. makeCppRestTransport() has
// already validated the URL; this only splits it.
StatusOr<ServerAddress> splitServer(std::string_view url) {
  ServerAddress out;
  std::string_view rest;
  if (url.starts_with("https://")) {
    out.tls = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return errorStatus(Code::kInvalidArgument, "server URL must be http(s)://host[:port]");
  }
  rest = rest.substr(0, rest.find('/'));
  out.hostHeader = std::string(rest);
  std::string_view host = rest, port;
  if (rest.starts_with('[')) {
    const size_t close = rest.find(']');
    if (close == std::string_view::npos) return errorStatus(Code::kInvalidArgument, "bad host");
    host = rest.substr(1, close - 1);
    if (close + 1 < rest.size() && rest[close + 1] == ':') port = rest.substr(close + 2);
  } else if (const size_t colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  if (host.empty()) return errorStatus(Code::kInvalidArgument, "server URL has no host");
  out.host = std::string(host);
  out.port = port.empty() ? (out.tls ? "443" : "80") : std::string(port);
  return out;
}

bool hasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }
bool isReplayable(std::string_view method) { return method == "GET" || method == "HEAD"; }

bool isIpLiteral(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// One keep-alive connection: whoever holds it runs its operations on their
// own thread, synchronously.
struct Connection {
  asio::io_context ioc{1};  // never run: the socket needs one to exist
  std::optional<rest::DeadlineSocket> plain;
  std::optional<beast::ssl_stream<rest::DeadlineSocket>> secure;
  beast::flat_buffer buffer;
  bool reused = false;

  rest::DeadlineSocket& socket() { return secure ? secure->next_layer() : *plain; }

  // True when the idle connection is still usable: the server sent nothing
  // (no close, no reset) since the last answer.
  bool idleAndOpen() {
    if (!socket().isOpen() || buffer.size() != 0) return false;
    pollfd p{socket().nativeHandle(), POLLIN, 0};
    return ::poll(&p, 1, 0) == 0;
  }
};

// While alive, a stop request interrupts `c`'s wait from the stopping thread.
// The callback is deregistered (waiting for a running one) before `c` goes.
class InterruptOnStop {
 public:
  InterruptOnStop(Connection& c, std::stop_token stop)
      : callback_(std::move(stop), [&c] { c.socket().interrupt(); }) {}

 private:
  std::stop_callback<std::function<void()>> callback_;
};

// Calls f with the connection's stream, TLS or plain.
template <class F>
void withStream(Connection& c, F&& f) {
  if (c.secure) {
    f(*c.secure);
  } else {
    f(*c.plain);
  }
}

// What one attempt produced.
struct Attempt {
  StatusOr<HttpResponse> result = errorStatus(Code::kInternal, "not sent");
  bool writeFailed = false;      // the request was not written in full
  bool nothingReceived = false;  // failed before any byte of the answer
  bool keepConnection = false;   // complete, and the server keeps it open
};

Status fromError(const boost::system::error_code& ec, std::chrono::milliseconds timeout,
                 const char* phase) {
  if (ec == beast::error::timeout) {
    return errorStatus(Code::kTimeout,
                       "request timed out after " + std::to_string(timeout.count()) + " ms");
  }
  return errorStatus(Code::kUnavailable,
                     std::string("request failed while ") + phase + ": " + ec.message());
}

// A streamed response: the body is handed to whoever reads it piece by piece
// (buffer_body points at the reader's own memory), never accumulated here.
using StreamParser = http::response_parser<http::buffer_body>;

// What writing a stream's request and reading its header produced.
struct StreamStart {
  Status status = errorStatus(Code::kInternal, "not sent");
  bool writeFailed = false;  // the request was not written in full
};

Status streamError(const boost::system::error_code& ec, std::chrono::milliseconds idle,
                   const char* phase) {
  if (ec == beast::error::timeout) {
    return errorStatus(Code::kTimeout, std::string("nothing received for ") +
                                           std::to_string(idle.count()) + " ms while " + phase);
  }
  return errorStatus(Code::kUnavailable,
                     std::string("stream failed while ") + phase + ": " + ec.message());
}

class BeastTransport final : public Transport {
 public:
  BeastTransport(ServerAddress server, std::unique_ptr<ssl::context> tls, RestConfig config)
      : server_(std::move(server)), tls_(std::move(tls)), config_(std::move(config)) {}

  using Transport::send;
  StatusOr<HttpResponse> send(const HttpRequest& request, std::stop_token stop) override;
  StatusOr<HttpResponse> stream(const HttpRequest& request, const LineHandler& onLine,
                                std::stop_token stop) override;

 private:
  StatusOr<http::request<http::string_body>> buildRequest(const HttpRequest& request) const;
  std::unique_ptr<Connection> takeIdle();
  void giveBack(std::unique_ptr<Connection> connection);
  void retireIdle();
  StatusOr<std::unique_ptr<Connection>> connect(Clock::time_point deadline,
                                                std::chrono::milliseconds timeout,
                                                std::stop_token stop);
  // Writes `request` (unless `beforeWrite`, when set, says no: Fenced,
  // nothing written) and reads the answer, within `deadline`.
  Attempt exchange(Connection& c, const http::request<http::string_body>& request,
                   size_t maxResponseBytes, Clock::time_point deadline,
                   std::chrono::milliseconds timeout, const std::function<bool()>& beforeWrite,
                   std::stop_token stop);
  StreamStart startStream(Connection& c, const http::request<http::string_body>& request,
                          StreamParser& parser, std::chrono::milliseconds idle,
                          std::stop_token stop);

  const ServerAddress server_;
  const std::unique_ptr<ssl::context> tls_;  // null for plain http
  const RestConfig config_;
  std::mutex mu_;
  std::vector<std::unique_ptr<Connection>> idle_;
};

StatusOr<http::request<http::string_body>> BeastTransport::buildRequest(
    const HttpRequest& request) const {
  if (request.method.empty() || !std::all_of(request.method.begin(), request.method.end(),
                                             [](char c) { return c >= 'A' && c <= 'Z'; })) {
    return errorStatus(Code::kInvalidArgument, "invalid HTTP method");
  }
  if (request.target.empty() || request.target[0] != '/' ||
      std::any_of(request.target.begin(), request.target.end(),
                  [](unsigned char c) { return c <= ' ' || c == 0x7f; })) {
    return errorStatus(Code::kInvalidArgument, "invalid request target " + request.target);
  }
  if (request.timeout <= std::chrono::milliseconds::zero()) {
    return errorStatus(Code::kInvalidArgument, "request timeout must be positive");
  }
  http::request<http::string_body> req;
  req.method_string(request.method);
  req.target(request.target);
  req.version(11);
  req.set(http::field::host, server_.hostHeader);
  bool contentType = false, userAgent = false;
  for (const auto& [name, value] : request.headers) {
    if (name.empty() || hasLineBreak(name) || hasLineBreak(value)) {
      return errorStatus(Code::kInvalidArgument, "invalid header " + name);
    }
    if (beast::iequals(name, "Content-Type")) contentType = true;
    if (beast::iequals(name, "User-Agent")) userAgent = true;
    req.insert(name, value);
  }
  if (!userAgent) req.set(http::field::user_agent, config_.userAgent);
  if (config_.bearerToken) {
    const std::string token = config_.bearerToken();
    if (hasLineBreak(token)) {
      return errorStatus(Code::kInvalidArgument, "the bearer token contains a line break");
    }
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  }
  if (!request.body.empty()) {
    if (!contentType) req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.prepare_payload();
  return req;
}

std::unique_ptr<Connection> BeastTransport::takeIdle() {
  std::lock_guard lock(mu_);
  while (!idle_.empty()) {
    std::unique_ptr<Connection> c = std::move(idle_.back());
    idle_.pop_back();
    if (c->idleAndOpen()) return c;
  }
  return nullptr;
}

void BeastTransport::giveBack(std::unique_ptr<Connection> connection) {
  connection->reused = true;
  std::lock_guard lock(mu_);
  if (idle_.size() < kMaxIdleConnections) idle_.push_back(std::move(connection));
}

void BeastTransport::retireIdle() {
  std::vector<std::unique_ptr<Connection>> retired;
  {
    std::lock_guard lock(mu_);
    retired.swap(idle_);
  }
  // Closed here, outside the lock.
}

StatusOr<std::unique_ptr<Connection>> BeastTransport::connect(Clock::time_point deadline,
                                                              std::chrono::milliseconds timeout,
                                                              std::stop_token stop) {
  auto c = std::make_unique<Connection>();
  if (tls_) {
    c->secure.emplace(c->ioc, *tls_);
  } else {
    c->plain.emplace(c->ioc);
  }
  InterruptOnStop interrupt(*c, stop);
  boost::system::error_code ec;
  tcp::resolver resolver(c->ioc);
  auto endpoints = resolver.resolve(server_.host, server_.port, ec);
  if (ec) return fromError(ec, timeout, "resolving the server");
  rest::DeadlineSocket& socket = c->socket();
  socket.expiresAt(deadline);
  ec = socket.connect(endpoints);
  if (stop.stop_requested()) return errorStatus(Code::kCancelled, "request cancelled");
  if (ec) return fromError(ec, timeout, "connecting");
  socket.lowest_layer().set_option(tcp::no_delay(true), ec);
  rest::enableKeepAlive(socket.nativeHandle(), {});
  if (tls_) {
    SSL* ssl = c->secure->native_handle();
    if (!config_.insecureSkipTlsVerify) {
      c->secure->set_verify_callback(ssl::host_name_verification(server_.host));
    }
    if (!isIpLiteral(server_.host)) {  // SNI (SSL_set_tlsext_host_name, without its C cast)
      SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
               const_cast<char*>(server_.host.c_str()));
    }
    c->secure->handshake(ssl::stream_base::client, ec);
    if (stop.stop_requested()) return errorStatus(Code::kCancelled, "request cancelled");
    if (ec) return fromError(ec, timeout, "doing the SSL (TLS) handshake");
  }
  return c;
}

Attempt BeastTransport::exchange(Connection& c, const http::request<http::string_body>& request,
                                 size_t maxResponseBytes, Clock::time_point deadline,
                                 std::chrono::milliseconds timeout,
                                 const std::function<bool()>& beforeWrite, std::stop_token stop) {
  Attempt out;
  http::response_parser<http::string_body> parser;
  parser.header_limit(kMaxHeaderBytes);
  parser.body_limit(maxResponseBytes);
  if (beforeWrite && !beforeWrite()) {
    out.result = errorStatus(Code::kFenced, "the request's write check refused it; not sent");
    return out;
  }
  InterruptOnStop interrupt(c, stop);
  c.socket().expiresAt(deadline);
  boost::system::error_code writeError, readError;
  bool declaredTooLarge = false;
  withStream(c, [&](auto& stream) {
    http::write(stream, request, writeError);
    if (writeError) return;
    // The header first: a declared length over the limit fails before a
    // byte of the body is read (Boost 1.74's parser does not check a
    // response's Content-Length against its body limit).
    http::read_header(stream, c.buffer, parser, readError);
    if (readError) return;
    const auto declared = parser.content_length();
    declaredTooLarge = declared && *declared > maxResponseBytes;
    if (!declaredTooLarge) http::read(stream, c.buffer, parser, readError);
  });
  if (stop.stop_requested()) {
    out.result = errorStatus(Code::kCancelled, "request cancelled");
    return out;
  }
  if (writeError) {
    out.writeFailed = writeError != beast::error::timeout;
    out.result = fromError(writeError, timeout, "writing the request");
    return out;
  }
  if (readError || declaredTooLarge) {
    if (declaredTooLarge || readError == http::error::body_limit) {
      out.result = errorStatus(Code::kInternal, "response body larger than the limit of " +
                                                    std::to_string(maxResponseBytes) + " bytes");
      return out;
    }
    out.nothingReceived = !parser.got_some() && readError != beast::error::timeout;
    out.result = fromError(readError, timeout, "reading the response");
    return out;
  }
  HttpResponse response;
  response.status = static_cast<int>(parser.get().result_int());
  for (const auto& field : parser.get()) {
    response.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  out.keepConnection = parser.get().keep_alive();
  response.body = std::move(parser.get().body());
  out.result = std::move(response);
  return out;
}

StatusOr<HttpResponse> BeastTransport::send(const HttpRequest& request, std::stop_token stop) {
  auto req = buildRequest(request);
  if (!req.isOk()) return req.status();
  if (stop.stop_requested()) return errorStatus(Code::kCancelled, "request cancelled");
  const auto deadline = Clock::now() + request.timeout;
  for (int attempt = 1;; ++attempt) {
    std::unique_ptr<Connection> c = attempt == 1 ? takeIdle() : nullptr;
    if (!c) {
      auto made = connect(deadline, request.timeout, stop);
      if (!made.isOk()) return made.status();
      c = std::move(made).value();
    }
    const bool reused = c->reused;
    Attempt outcome = exchange(*c, *req, request.maxResponseBytes, deadline, request.timeout,
                               request.beforeWrite, stop);
    if (!outcome.result.isOk() && outcome.result.status().code() == Code::kFenced) {
      giveBack(std::move(c));  // nothing was written on it
      return std::move(outcome.result);
    }
    if (outcome.result.isOk()) {
      if (outcome.keepConnection && !stop.stop_requested()) giveBack(std::move(c));
      return std::move(outcome.result);
    }
    // The connection is dropped (closed) whatever happens next.
    if (outcome.result.status().code() == Code::kTimeout) {
      // The path may have gone half-open: the idle connections opened
      // before this one are likely as dead, and each would cost a full
      // timeout. Retire them; the next request opens a fresh one.
      retireIdle();
    }
    if (attempt > 1) return std::move(outcome.result);
    if (outcome.writeFailed) continue;  // the server cannot have acted on it
    if (outcome.nothingReceived && reused) {
      // A pooled connection the server closed just as it was used.
      if (isReplayable(request.method)) continue;
      return errorStatus(Code::kUnavailable,
                         "the connection closed before the response; the request was not sent "
                         "again (the server may have acted on it)");
    }
    return std::move(outcome.result);
  }
}

// Writes the stream's request and reads the response header on `c`, each
// within `idle`.
StreamStart BeastTransport::startStream(Connection& c,
                                        const http::request<http::string_body>& request,
                                        StreamParser& parser, std::chrono::milliseconds idle,
                                        std::stop_token stop) {
  StreamStart out;
  InterruptOnStop interrupt(c, stop);
  boost::system::error_code writeError, readError;
  c.socket().expiresAfter(idle);
  withStream(c, [&](auto& stream) { http::write(stream, request, writeError); });
  if (!writeError) {
    c.socket().expiresAfter(idle);
    withStream(c, [&](auto& stream) { http::read_header(stream, c.buffer, parser, readError); });
  }
  if (stop.stop_requested()) {
    out.status = errorStatus(Code::kCancelled, "stream stopped");
  } else if (writeError) {
    out.writeFailed = writeError != beast::error::timeout;
    out.status = streamError(writeError, idle, "writing the request");
  } else if (readError) {
    out.status = streamError(readError, idle, "reading the response header");
  } else {
    out.status = Status::ok();
  }
  return out;
}

StatusOr<HttpResponse> BeastTransport::stream(const HttpRequest& request, const LineHandler& onLine,
                                              std::stop_token stop) {
  auto req = buildRequest(request);
  if (!req.isOk()) return req.status();
  const auto cancelled = [] { return errorStatus(Code::kCancelled, "stream stopped"); };
  if (stop.stop_requested()) return cancelled();
  const std::chrono::milliseconds idle = request.timeout;

  // A connection of the stream's own (see the top of this file). As in
  // send(): a request that could not be written is sent again, once, on a
  // fresh connection; the server cannot have seen it.
  std::unique_ptr<Connection> c;
  std::optional<StreamParser> parser;
  for (int attempt = 1;; ++attempt) {
    auto made = connect(Clock::now() + idle, idle, stop);
    if (!made.isOk()) {
      if (made.status().code() == Code::kCancelled) return cancelled();
      return made.status();
    }
    c = std::move(made).value();
    parser.emplace();
    parser->header_limit(kMaxHeaderBytes);
    // A watch has no end; its lines are bounded instead. Not boost::none:
    // Boost 1.74 compares a Content-Length with the unset limit and fails.
    parser->body_limit(std::numeric_limits<std::uint64_t>::max());
    const StreamStart started = startStream(*c, *req, *parser, idle, stop);
    if (started.status.isOk()) break;
    if (attempt > 1 || !started.writeFailed) return started.status;
  }

  HttpResponse out;
  out.status = static_cast<int>(parser->get().result_int());
  for (const auto& field : parser->get()) {
    out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  }
  const bool lines = out.status == 200;
  LineSplitter splitter(kMaxLineBytes);
  // What the splitter's answer means for the stream: OK goes on.
  const auto endOf = [&](LineSplitter::Result r) -> Status {
    switch (r) {
      case LineSplitter::Result::kMore:
        return Status::ok();
      case LineSplitter::Result::kStopped:
        return cancelled();
      case LineSplitter::Result::kTooLong:
        return errorStatus(Code::kInternal,
                           "watch event larger than " + std::to_string(kMaxLineBytes) + " bytes");
    }
    return Status::ok();
  };

  // From here a stop interrupts the wait at once, from the stopping thread.
  // Declared after `c`, so it is deregistered before the connection goes.
  InterruptOnStop interrupt(*c, stop);
  auto& body = parser->get().body();
  while (!parser->is_done()) {
    if (stop.stop_requested()) return cancelled();
    size_t room = kStreamReadBytes;
    if (lines) {
      body.data = splitter.prepare(room);
    } else {
      room = std::min(room, kMaxErrorBodyBytes - out.body.size());
      if (room == 0) break;  // the error body is cut at its limit
      const size_t had = out.body.size();
      out.body.resize(had + room);
      body.data = out.body.data() + had;
    }
    body.size = room;
    boost::system::error_code ec;
    c->socket().expiresAfter(idle);  // the idle timeout: the longest quiet gap
    withStream(*c, [&](auto& stream) { http::read_some(stream, c->buffer, *parser, ec); });
    if (stop.stop_requested()) return cancelled();
    const size_t got = room - body.size;
    if (ec == http::error::need_buffer) ec = {};  // the room is full; not an error
    if (lines) {
      splitter.commit(got);
    } else {
      out.body.resize(out.body.size() - body.size);
    }
    if (ec) {
      if (!lines) break;  // keep the part of the error body that came
      return streamError(ec, idle, "reading the stream");
    }
    if (!lines) continue;
    if (Status end = endOf(splitter.deliver(onLine)); !end.isOk()) return end;
  }
  // The server ended the stream.
  if (lines) {
    if (Status end = endOf(splitter.finish(onLine)); !end.isOk()) return end;
  }
  return out;
}

}  // namespace

StatusOr<std::unique_ptr<Transport>> makeTransport(const RestConfig& config) {
  // Validates the configuration as a whole, with the same errors; the
  // cpprest transport itself is not used (it opens nothing until asked).
  if (auto validated = makeCppRestTransport(config); !validated.isOk()) {
    return validated.status();
  }
  auto server = splitServer(config.server);
  if (!server.isOk()) return server.status();
  std::unique_ptr<ssl::context> tls;
  if (server->tls) {
    auto setup = rest::TlsSetup::parse(config.caPem, config.clientCertPem, config.clientKeyPem);
    if (!setup.isOk()) return setup.status();
    try {
      tls = std::make_unique<ssl::context>(ssl::context::tls_client);
      if (config.caPem.empty()) tls->set_default_verify_paths();
      if (!(*setup)->applyTo(tls->native_handle())) {
        return errorStatus(Code::kInternal, "cannot set up the TLS context");
      }
      tls->set_verify_mode(config.insecureSkipTlsVerify ? ssl::verify_none : ssl::verify_peer);
    } catch (const std::exception&) {
      return errorStatus(Code::kInternal, "cannot set up the TLS context");
    }
  }
  return std::unique_ptr<Transport>(
      std::make_unique<BeastTransport>(std::move(server).value(), std::move(tls), config));
}

}  // namespace ctrl
