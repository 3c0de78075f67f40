// The Boost.Beast HttpServer (beast_http_server.h). One io_context per
// thread, each run by its own thread; the acceptor deals connections out to
// them in turn, so a connection's reads, writes and timer always run on one
// thread (no strands, no locks) with concrete executor types (no type-erased
// executor on every operation); handlers run on those threads.
//
// Routing tables are fixed once start() runs and read without a lock.
#include "controller/beast_http_server.h"

#include <algorithm>
#include <atomic>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <vector>

#include "rest/listen_address.h"
#include "rest/tls_reloader.h"

namespace ctrl {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

using Request = http::request<http::string_body>;
using Response = http::response<http::string_body>;
using Executor = net::io_context::executor_type;
using TcpStream = beast::basic_stream<tcp, Executor, beast::unlimited_rate_policy>;
using TlsStream = beast::ssl_stream<TcpStream>;
using Socket = tcp::socket::rebind_executor<Executor>::other;

// Exact-path lookups by string_view, without building a std::string.
struct PathHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
};

// Exact routes (GET handlers or any-method handlers) and prefix routes.
class Router {
 public:
  void addGet(const std::string& path, HttpHandler handler) {
    exact_[path].get = std::move(handler);
  }
  void addAny(HttpRoute route, HttpRequestHandler handler) {
    if (route.prefix) {
      prefixes_.emplace_back(std::move(route.path), std::move(handler));
      std::stable_sort(prefixes_.begin(), prefixes_.end(), [](const auto& a, const auto& b) {
        return a.first.size() > b.first.size();
      });
    } else {
      exact_[route.path].any = std::move(handler);
    }
  }
  HttpServerResponse serve(const HttpServerRequest& request) const;

 private:
  struct Exact {
    HttpHandler get;
    HttpRequestHandler any;
  };
  std::unordered_map<std::string, Exact, PathHash, std::equal_to<>> exact_;
  std::vector<std::pair<std::string, HttpRequestHandler>> prefixes_;  // longest first
};

HttpServerResponse textResponse(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

HttpServerResponse Router::serve(const HttpServerRequest& request) const {
  const std::string_view path = request.path();
  if (auto it = exact_.find(path); it != exact_.end()) {
    if (it->second.any) return it->second.any(request);
    if (request.method() != "GET") {
      HttpServerResponse r = textResponse(405, "405 method not allowed\n");
      r.headers.emplace_back("Allow", "GET");
      return r;
    }
    return it->second.get(std::string(path));
  }
  for (const auto& [prefix, handler] : prefixes_) {
    if (path.substr(0, prefix.size()) == prefix) return handler(request);
  }
  return textResponse(404, "404 page not found\n");
}

class BeastRequest final : public HttpServerRequest {
 public:
  explicit BeastRequest(const Request& r) : r_(r) {
    const beast::string_view target = r_.target();
    target_ = std::string_view(target.data(), target.size());
    path_ = target_.substr(0, target_.find('?'));
  }
  std::string_view method() const override {
    const beast::string_view m = r_.method_string();
    return {m.data(), m.size()};
  }
  std::string_view target() const override { return target_; }
  std::string_view path() const override { return path_; }
  std::string_view header(std::string_view name) const override {
    auto it = r_.find(beast::string_view(name.data(), name.size()));
    if (it == r_.end()) return {};
    const beast::string_view v = it->value();
    return {v.data(), v.size()};
  }
  size_t headerCount(std::string_view name) const override {
    return r_.count(beast::string_view(name.data(), name.size()));
  }
  std::string_view body() const override { return r_.body(); }

 private:
  const Request& r_;
  std::string_view target_;
  std::string_view path_;
};

bool safeHeaderValue(std::string_view v) {
  return v.find_first_of("\r\n") == std::string_view::npos;
}

// Fills `res` (reused across a connection's requests) from `out`.
void toBeast(HttpServerResponse&& out, unsigned version, bool keepAlive, Response& res) {
  res = Response{static_cast<http::status>(out.status), version};
  res.set(http::field::content_type, out.contentType);
  for (auto& [name, value] : out.headers) {
    if (safeHeaderValue(name) && safeHeaderValue(value)) res.insert(name, value);
  }
  res.body() = std::move(out.body);
  res.keep_alive(keepAlive);
  res.prepare_payload();
}

struct Shared {
  Router router;
  BeastHttpServerOptions options;
};

// One connection. Stream is TcpStream or TlsStream; every operation runs on
// the stream's own io_context thread.
template <typename Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <typename... Args>
  Session(std::shared_ptr<const Shared> shared, Args&&... args)
      : shared_(std::move(shared)), stream_(std::forward<Args>(args)...) {}

  // Keeps the TLS context alive as long as the stream that uses it.
  void holdContext(std::shared_ptr<ssl::context> context) { context_ = std::move(context); }

  void run() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] { self->begin(); });
  }

 private:
  void begin() {
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      read();
    } else {
      lowest().expires_after(shared_->options.idleTimeout);
      stream_.async_handshake(ssl::stream_base::server,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (!ec) self->read();
                              });
    }
  }

  TcpStream& lowest() { return beast::get_lowest_layer(stream_); }

  void read() {
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.maxHeaderBytes));
    parser_->body_limit(shared_->options.maxBodyBytes);
    lowest().expires_after(shared_->options.idleTimeout);
    http::async_read(
        stream_, buffer_, *parser_,
        [self = this->shared_from_this()](beast::error_code ec, size_t) { self->onRead(ec); });
  }

  void onRead(beast::error_code ec) {
    if (ec == http::error::end_of_stream) return close();
    if (ec == http::error::header_limit)
      return reject(431, "431 request header fields too large\n");
    if (ec == http::error::body_limit) return reject(413, "413 request entity too large\n");
    if (ec == beast::error::timeout || ec == net::error::operation_aborted) return;
    if (ec) {
      // A malformed request gets 400; a reset or EOF mid-request has no one
      // to answer.
      if (ec != http::error::partial_message &&
          ec.category() == http::make_error_code(http::error::bad_target).category()) {
        return reject(400, "400 bad request\n");
      }
      return;
    }
    const Request& request = parser_->get();
    HttpServerResponse out;
    try {
      BeastRequest view(request);
      out = shared_->router.serve(view);
    } catch (const std::exception&) {
      out = textResponse(500, "500 internal server error\n");
    }
    toBeast(std::move(out), request.version(), request.keep_alive(), response_);
    write();
  }

  void reject(int status, std::string body) {
    toBeast(textResponse(status, std::move(body)), 11, false, response_);
    write();
  }

  // Writes response_ (a member: it lives until the write completes).
  void write() {
    const bool close = !response_.keep_alive();
    http::async_write(stream_, response_,
                      [self = this->shared_from_this(), close](beast::error_code ec, size_t) {
                        if (ec) return;
                        if (close) return self->close();
                        self->read();
                      });
  }

  void close() {
    if constexpr (std::is_same_v<Stream, TcpStream>) {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
    } else {
      lowest().expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {});
    }
  }

  std::shared_ptr<const Shared> shared_;
  std::shared_ptr<ssl::context> context_;
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Response response_;
};

class BeastHttpServer final : public HttpServer {
 public:
  BeastHttpServer(BeastHttpServerOptions options, std::unique_ptr<rest::TlsReloader> tls)
      : tls_(std::move(tls)) {
    shared_ = std::make_shared<Shared>();
    shared_->options = std::move(options);
  }
  ~BeastHttpServer() override { stop(); }
  BeastHttpServer(const BeastHttpServer&) = delete;
  BeastHttpServer& operator=(const BeastHttpServer&) = delete;

  void handle(const std::string& path, HttpHandler handler) override {
    std::lock_guard lock(mu_);
    if (!started_) shared_->router.addGet(path, std::move(handler));
  }
  // Asynchronous handlers are adapted: the server thread waits (at most 30 s)
  // for the reply. Only the metrics endpoint's authentication uses them, and
  // it is served by the cpprest server; this keeps the Beast server complete.
  void handleAsync(const std::string& path, AsyncHttpHandler handler) override {
    auto shared = std::make_shared<AsyncHttpHandler>(std::move(handler));
    (void)route({path, false}, [shared](const HttpServerRequest& request) {
      auto promise = std::make_shared<std::promise<HttpServerResponse>>();
      auto future = promise->get_future();
      auto once = std::make_shared<std::once_flag>();
      (*shared)(AsyncHttpRequest{std::string(request.path()),
                                 std::string(request.header("Authorization"))},
                [promise, once](HttpServerResponse response) {
                  std::call_once(*once, [&] { promise->set_value(std::move(response)); });
                });
      if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
        return HttpServerResponse{504, "text/plain", "timed out\n"};
      }
      return future.get();
    });
  }
  Status route(HttpRoute route, HttpRequestHandler handler) override {
    std::lock_guard lock(mu_);
    if (started_) return errorStatus(Code::kInvalidArgument, "server already started");
    shared_->router.addAny(std::move(route), std::move(handler));
    return Status::ok();
  }

  Status start(const std::string& address) override;
  int port() const override { return port_.load(); }
  void stop() override;

 private:
  void accept();

  std::shared_ptr<Shared> shared_;
  std::unique_ptr<rest::TlsReloader> tls_;
  std::mutex mu_;
  bool started_ = false;
  std::atomic<int> port_{0};
  // One io_context per thread; the acceptor lives on the first.
  std::vector<std::unique_ptr<net::io_context>> contexts_;
  std::vector<net::executor_work_guard<Executor>> guards_;
  size_t next_ = 0;  // the context of the next connection (acceptor thread only)
  std::unique_ptr<tcp::acceptor> acceptor_;
  std::vector<std::thread> threads_;
};

Status BeastHttpServer::start(const std::string& address) {
  if (address == "0") return Status::ok();  // disabled
  auto endpoint = parseListenAddress(address);
  if (!endpoint.isOk()) return endpoint.status();
  std::lock_guard lock(mu_);
  if (started_) return errorStatus(Code::kInvalidArgument, "server already started");
  const int threads = shared_->options.threads > 0
                          ? shared_->options.threads
                          : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < threads; ++i) {
    contexts_.push_back(std::make_unique<net::io_context>(1));
    guards_.push_back(net::make_work_guard(contexts_.back()->get_executor()));
  }
  try {
    acceptor_ = std::make_unique<tcp::acceptor>(*contexts_[0]);
    acceptor_->open(endpoint->protocol());
    acceptor_->set_option(net::socket_base::reuse_address(true));
    acceptor_->bind(*endpoint);
    acceptor_->listen(net::socket_base::max_listen_connections);
  } catch (const std::exception& e) {
    acceptor_.reset();
    guards_.clear();
    contexts_.clear();
    return errorStatus(Code::kUnavailable, "cannot listen on " + address + ": " + e.what());
  }
  started_ = true;
  port_ = acceptor_->local_endpoint().port();
  accept();
  for (auto& context : contexts_) threads_.emplace_back([io = context.get()] { io->run(); });
  return Status::ok();
}

void BeastHttpServer::accept() {
  net::io_context& target = *contexts_[next_++ % contexts_.size()];
  acceptor_->async_accept(target, [this](beast::error_code ec, Socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_->is_open()) return;
    if (!ec) {
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls_) {
        auto context = tls_->current();
        auto session =
            std::make_shared<Session<TlsStream>>(shared_, TcpStream(std::move(socket)), *context);
        session->holdContext(std::move(context));
        session->run();
      } else {
        std::make_shared<Session<TcpStream>>(shared_, std::move(socket))->run();
      }
    }
    accept();
  });
}

void BeastHttpServer::stop() {
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(mu_);
    if (contexts_.empty()) return;
    guards_.clear();
    for (auto& context : contexts_) context->stop();  // handlers in flight finish
    threads = std::move(threads_);
  }
  for (auto& t : threads) t.join();
  std::lock_guard lock(mu_);
  beast::error_code ignored;
  acceptor_->close(ignored);  // no thread runs an io_context any more
  acceptor_.reset();
  contexts_.clear();  // destroys the pending sessions
  port_ = 0;
}

}  // namespace

StatusOr<std::unique_ptr<HttpServer>> makeBeastHttpServer(BeastHttpServerOptions options) {
  if (options.tlsCertFile.empty() != options.tlsKeyFile.empty()) {
    return errorStatus(Code::kInvalidArgument,
                       "TLS needs both a certificate file and a private key file");
  }
  std::unique_ptr<rest::TlsReloader> tls;
  if (!options.tlsCertFile.empty()) {
    Clock& clock = options.clock != nullptr ? *options.clock : RealClock::instance();
    auto reloader = rest::TlsReloader::create(options.tlsCertFile, options.tlsKeyFile, clock,
                                              options.tlsReloadInterval, options.onTlsReload);
    if (!reloader.isOk()) return reloader.status();
    tls = std::move(reloader).value();
  }
  return std::unique_ptr<HttpServer>(new BeastHttpServer(std::move(options), std::move(tls)));
}

}  // namespace ctrl
