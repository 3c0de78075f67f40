#include "fault_proxy.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <atomic>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <thread>
#include <vector>

namespace sttest {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using ctrl::Code;
using ctrl::errorStatus;

namespace {

constexpr size_t kMaxRequestHeader = 64 << 10;
constexpr uint64_t kMaxRequestBody = 16 << 20;
constexpr uint64_t kMaxDroppedBody = 64 << 20;
constexpr size_t kRelayChunk = 16 << 10;

std::vector<std::string> splitPath(const std::string& target) {
  std::vector<std::string> out;
  const std::string path = target.substr(0, target.find('?'));
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) out.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

struct Pem {
  std::string cert;
  std::string key;
};

std::string bioText(BIO* bio) {
  BUF_MEM* mem = nullptr;
  BIO_get_mem_ptr(bio, &mem);
  return mem == nullptr ? std::string() : std::string(mem->data, mem->length);
}

// A self-signed P-256 certificate for 127.0.0.1 and localhost, valid a day.
ctrl::StatusOr<Pem> selfSigned() {
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> key(EVP_EC_gen("P-256"), EVP_PKEY_free);
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  if (!key || !cert) return errorStatus(Code::kInternal, "generating the proxy's key failed");
  X509_set_version(cert.get(), 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), 1);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 86400);
  X509_set_pubkey(cert.get(), key.get());
  X509_NAME* name = X509_get_subject_name(cert.get());
  const std::string cn = "st-fault-proxy";
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  const std::pair<int, const char*> exts[] = {
      {NID_basic_constraints, "critical,CA:TRUE"},
      {NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost"},
  };
  for (const auto& [nid, value] : exts) {
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    if (ext == nullptr) return errorStatus(Code::kInternal, "building the proxy's certificate");
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) == 0) {
    return errorStatus(Code::kInternal, "signing the proxy's certificate failed");
  }
  std::unique_ptr<BIO, decltype(&BIO_free)> certBio(BIO_new(BIO_s_mem()), BIO_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> keyBio(BIO_new(BIO_s_mem()), BIO_free);
  if (!PEM_write_bio_X509(certBio.get(), cert.get()) ||
      !PEM_write_bio_PrivateKey(keyBio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)) {
    return errorStatus(Code::kInternal, "encoding the proxy's certificate failed");
  }
  return Pem{bioText(certBio.get()), bioText(keyBio.get())};
}

// One client connection and the upstream connection serving it. Touched on
// the proxy's thread only.
struct Conn {
  Conn(tcp::socket socket, ssl::context& serverCtx, ssl::context& clientCtx)
      : client(std::move(socket), serverCtx),
        upstream(client.get_executor(), clientCtx),
        timer(client.get_executor()) {}
  ssl::stream<tcp::socket> client;
  ssl::stream<tcp::socket> upstream;
  asio::steady_timer timer;  // latency and the silent gate; cancelled on close
  bool silent = false;
  bool closed = false;
};

}  // namespace

bool classifyForDrop(const std::string& method, const std::string& target, DropKind& kind) {
  const std::vector<std::string> p = splitPath(target);
  if (method == "POST" && p.size() == 5 && p[0] == "api" && p[1] == "v1" && p[2] == "namespaces" &&
      p[4] == "secrets") {
    kind = DropKind::kSecretCreate;
    return true;
  }
  if (method == "PUT" && p.size() == 6 && p[0] == "api" && p[1] == "v1" && p[2] == "namespaces" &&
      p[4] == "secrets") {
    kind = DropKind::kSecretUpdate;
    return true;
  }
  if ((method == "PUT" || method == "PATCH") && p.size() == 8 && p[0] == "apis" &&
      p[1] == "servicetoken.dev" && p[3] == "namespaces" && p[5] == "servicetokens" &&
      p[7] == "status") {
    kind = DropKind::kStatusWrite;
    return true;
  }
  return false;
}

class FaultProxy::Impl {
 public:
  // Declared before io_ so they outlive the coroutine frames io_ destroys.
  ssl::context serverCtx_{ssl::context::tls_server};
  ssl::context clientCtx_{ssl::context::tls_client};
  std::map<uint64_t, std::weak_ptr<Conn>> conns_;  // proxy thread only
  asio::io_context io_{1};
  tcp::acceptor acceptor_{io_};
  tcp::endpoint upstream_;
  std::string caFile_;
  uint16_t port_ = 0;  // set before the thread starts
  std::thread thread_;
  std::mt19937 rng_;  // proxy thread only
  uint64_t nextId_ = 0;

  std::atomic<bool> silent_{false};
  std::atomic<double> resetChance_{0};
  std::atomic<int64_t> latencyMs_{0};
  std::atomic<double> dropSecret_{0};
  std::atomic<double> dropUpdate_{0};
  std::atomic<double> dropStatus_{0};
  std::atomic<int> stormCode_{0};
  std::atomic<int> retryAfter_{1};
  std::atomic<double> stormFraction_{0};

  std::atomic<uint64_t> connections_{0}, forwarded_{0}, delayed_{0}, silenced_{0}, resets_{0},
      droppedSecretCreates_{0}, droppedSecretUpdates_{0}, droppedStatusWrites_{0}, storm429_{0},
      storm503_{0}, upstreamErrors_{0};
  std::atomic<size_t> open_{0};

  ~Impl() {
    io_.stop();
    if (thread_.joinable()) thread_.join();
  }

  std::atomic<double>& dropChance(DropKind kind) {
    switch (kind) {
      case DropKind::kSecretCreate:
        return dropSecret_;
      case DropKind::kSecretUpdate:
        return dropUpdate_;
      case DropKind::kStatusWrite:
        break;
    }
    return dropStatus_;
  }

  bool chance(double p) {
    if (p <= 0) return false;
    return std::uniform_real_distribution<double>(0, 1)(rng_) < p;
  }

  void silence(Conn& c) {
    if (c.silent) return;
    c.silent = true;
    ++silenced_;
  }

  // RST the client's connection and drop the upstream one.
  void reset(Conn& c, bool count) {
    if (c.closed) return;
    c.closed = true;
    boost::system::error_code ec;
    c.client.next_layer().set_option(tcp::socket::linger(true, 0), ec);
    c.client.next_layer().close(ec);
    c.upstream.next_layer().close(ec);
    c.timer.cancel();
    if (count) ++resets_;
  }

  void closeGracefully(Conn& c) {
    if (c.closed) return;
    c.closed = true;
    boost::system::error_code ec;
    c.client.next_layer().shutdown(tcp::socket::shutdown_both, ec);
    c.client.next_layer().close(ec);
    c.upstream.next_layer().close(ec);
    c.timer.cancel();
  }

  // Returns when `c` may forward; never for a silenced connection (until it
  // is reset). Throws once `c` is closed.
  awaitable<void> gate(Conn& c) {
    if (silent_) silence(c);
    while (c.silent && !c.closed) {
      c.timer.expires_after(std::chrono::hours(24));
      boost::system::error_code ec;
      co_await c.timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    if (c.closed) throw std::runtime_error("connection closed");
  }

  awaitable<void> acceptLoop() {
    for (;;) {
      tcp::socket socket = co_await acceptor_.async_accept(use_awaitable);
      auto conn = std::make_shared<Conn>(std::move(socket), serverCtx_, clientCtx_);
      const uint64_t id = nextId_++;
      conns_[id] = conn;
      ++connections_;
      ++open_;
      asio::co_spawn(io_, session(conn, id), asio::detached);
    }
  }

  awaitable<void> session(std::shared_ptr<Conn> c, uint64_t id) {
    try {
      co_await serve(*c);
    } catch (const std::exception&) {
      // The client or the upstream went away, or the proxy closed it.
    }
    // A silenced connection tells the client nothing, not even that the
    // upstream closed: it stays open until reset or the proxy stops.
    while (c->silent && !c->closed) {
      c->timer.expires_after(std::chrono::hours(24));
      boost::system::error_code ec;
      co_await c->timer.async_wait(asio::redirect_error(use_awaitable, ec));
    }
    closeGracefully(*c);
    conns_.erase(id);
    --open_;
  }

  awaitable<void> stormAnswer(Conn& c, const http::request<http::string_body>& req, int code) {
    const int retryAfter = retryAfter_;
    http::response<http::string_body> res{
        code == 429 ? http::status::too_many_requests : http::status::service_unavailable,
        req.version()};
    res.set(http::field::content_type, "application/json");
    res.set(http::field::retry_after, std::to_string(retryAfter));
    res.keep_alive(req.keep_alive());
    const std::string reason = code == 429 ? "TooManyRequests" : "ServiceUnavailable";
    res.body() = R"({"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",)"
                 R"("message":"the fault proxy answered )" +
                 std::to_string(code) + R"(","reason":")" + reason +
                 R"(","details":{"retryAfterSeconds":)" + std::to_string(retryAfter) +
                 R"(},"code":)" + std::to_string(code) + "}";
    res.prepare_payload();
    ++(code == 429 ? storm429_ : storm503_);
    co_await http::async_write(c.client, res, use_awaitable);
  }

  // Streams one response from upstream to the client, chunk by chunk as it
  // arrives. Returns whether the connection may be kept.
  awaitable<bool> relay(Conn& c, beast::flat_buffer& ubuf, bool head) {
    http::response_parser<http::buffer_body> p;
    p.body_limit(std::numeric_limits<uint64_t>::max());
    if (head) p.skip(true);
    co_await http::async_read_header(c.upstream, ubuf, p, use_awaitable);
    co_await gate(c);
    http::response_serializer<http::buffer_body> sr{p.get()};
    p.get().body().data = nullptr;
    p.get().body().more = !p.is_done();
    co_await http::async_write_header(c.client, sr, use_awaitable);
    std::vector<char> buf(kRelayChunk);
    boost::system::error_code ec;
    while (!p.is_done()) {
      p.get().body().data = buf.data();
      p.get().body().size = buf.size();
      co_await http::async_read_some(c.upstream, ubuf, p, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw boost::system::system_error(ec);
      const size_t n = buf.size() - p.get().body().size;
      if (n == 0 && !p.is_done()) continue;
      p.get().body().data = n == 0 ? nullptr : buf.data();
      p.get().body().size = n;
      p.get().body().more = !p.is_done();
      co_await gate(c);
      co_await http::async_write(c.client, sr, asio::redirect_error(use_awaitable, ec));
      if (ec == http::error::need_buffer) ec = {};
      if (ec) throw boost::system::system_error(ec);
    }
    if (!sr.is_done()) {
      p.get().body().data = nullptr;
      p.get().body().size = 0;
      p.get().body().more = false;
      co_await http::async_write(c.client, sr, asio::redirect_error(use_awaitable, ec));
      if (ec && ec != http::error::need_buffer) throw boost::system::system_error(ec);
    }
    co_return p.get().keep_alive();
  }

  awaitable<void> serve(Conn& c) {
    co_await gate(c);
    co_await c.client.async_handshake(ssl::stream_base::server, use_awaitable);
    try {
      co_await c.upstream.next_layer().async_connect(upstream_, use_awaitable);
      co_await c.upstream.async_handshake(ssl::stream_base::client, use_awaitable);
    } catch (const std::exception&) {
      ++upstreamErrors_;
      throw;
    }
    beast::flat_buffer cbuf;
    beast::flat_buffer ubuf;
    for (;;) {
      http::request_parser<http::string_body> rp;
      rp.header_limit(kMaxRequestHeader);
      rp.body_limit(kMaxRequestBody);
      boost::system::error_code ec;
      co_await http::async_read(c.client, cbuf, rp, asio::redirect_error(use_awaitable, ec));
      if (ec) co_return;  // the client closed the connection, or sent garbage
      http::request<http::string_body> req = rp.release();
      co_await gate(c);
      if (const int64_t ms = latencyMs_; ms > 0) {
        ++delayed_;
        c.timer.expires_after(std::chrono::milliseconds(ms));
        co_await c.timer.async_wait(asio::redirect_error(use_awaitable, ec));
        co_await gate(c);
      }
      if (const int code = stormCode_; code != 0 && chance(stormFraction_)) {
        co_await stormAnswer(c, req, code);
        if (!req.keep_alive()) co_return;
        continue;
      }
      if (chance(resetChance_)) {
        reset(c, /*count=*/true);
        co_return;
      }
      DropKind kind{};
      const bool drop =
          classifyForDrop(std::string(req.method_string()), std::string(req.target()), kind) &&
          chance(dropChance(kind));
      try {
        co_await http::async_write(c.upstream, req, use_awaitable);
      } catch (const std::exception&) {
        ++upstreamErrors_;
        throw;
      }
      ++forwarded_;
      if (drop) {
        // Let the upstream execute it and answer, then lose the answer.
        http::response_parser<http::string_body> dp;
        dp.body_limit(kMaxDroppedBody);
        co_await http::async_read(c.upstream, ubuf, dp, use_awaitable);
        ++(kind == DropKind::kSecretCreate   ? droppedSecretCreates_
           : kind == DropKind::kSecretUpdate ? droppedSecretUpdates_
                                             : droppedStatusWrites_);
        reset(c, /*count=*/false);
        co_return;
      }
      const bool keep = co_await relay(c, ubuf, req.method() == http::verb::head);
      if (!keep || !req.keep_alive()) co_return;
    }
  }
};

FaultProxy::FaultProxy(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

FaultProxy::~FaultProxy() = default;

ctrl::StatusOr<std::unique_ptr<FaultProxy>> FaultProxy::start(const std::string& upstreamUrl,
                                                              const std::string& upstreamCaFile,
                                                              const std::string& dir,
                                                              uint32_t seed) {
  const std::string scheme = "https://";
  if (upstreamUrl.rfind(scheme, 0) != 0) {
    return errorStatus(Code::kInvalidArgument, "the upstream must be an https:// URL");
  }
  std::string hostPort = upstreamUrl.substr(scheme.size());
  hostPort = hostPort.substr(0, hostPort.find('/'));
  const size_t colon = hostPort.rfind(':');
  if (colon == std::string::npos) {
    return errorStatus(Code::kInvalidArgument, "the upstream URL has no port");
  }
  auto pem = selfSigned();
  if (!pem.isOk()) return pem.status();

  auto impl = std::make_unique<Impl>();
  impl->rng_.seed(seed);
  impl->caFile_ = dir + "/fault-proxy-ca.crt";
  {
    std::ofstream out(impl->caFile_);
    out << pem->cert;
    if (!out) return errorStatus(Code::kInternal, "writing " + impl->caFile_);
  }
  try {
    impl->serverCtx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                                 ssl::context::no_sslv3);
    impl->serverCtx_.use_certificate(asio::buffer(pem->cert), ssl::context::pem);
    impl->serverCtx_.use_private_key(asio::buffer(pem->key), ssl::context::pem);
    impl->clientCtx_.set_verify_mode(ssl::verify_peer);
    impl->clientCtx_.load_verify_file(upstreamCaFile);
    tcp::resolver resolver(impl->io_);
    auto results = resolver.resolve(hostPort.substr(0, colon), hostPort.substr(colon + 1));
    if (results.empty()) return errorStatus(Code::kInvalidArgument, "cannot resolve the upstream");
    impl->upstream_ = results.begin()->endpoint();
    const tcp::endpoint listen(asio::ip::make_address("127.0.0.1"), 0);
    impl->acceptor_.open(listen.protocol());
    impl->acceptor_.set_option(tcp::acceptor::reuse_address(true));
    impl->acceptor_.bind(listen);
    impl->acceptor_.listen();
    impl->port_ = impl->acceptor_.local_endpoint().port();
  } catch (const std::exception& e) {
    return errorStatus(Code::kInternal, std::string("starting the fault proxy: ") + e.what());
  }
  Impl* raw = impl.get();
  asio::co_spawn(raw->io_, raw->acceptLoop(), asio::detached);
  raw->thread_ = std::thread([raw] {
    for (;;) {
      try {
        raw->io_.run();
        return;
      } catch (const std::exception&) {
        // A handler threw past its coroutine: keep serving the others.
      }
    }
  });
  return std::unique_ptr<FaultProxy>(new FaultProxy(std::move(impl)));
}

std::string FaultProxy::url() const { return "https://127.0.0.1:" + std::to_string(impl_->port_); }

const std::string& FaultProxy::caFile() const { return impl_->caFile_; }

void FaultProxy::setSilent(bool silent) {
  impl_->silent_ = silent;
  if (!silent) return;
  // Every connection open now goes half-open too, even if idle.
  Impl* impl = impl_.get();
  asio::post(impl->io_, [impl] {
    for (auto& [id, weak] : impl->conns_) {
      if (auto c = weak.lock()) impl->silence(*c);
    }
  });
}

void FaultProxy::resetAll() {
  Impl* impl = impl_.get();
  asio::post(impl->io_, [impl] {
    std::vector<std::shared_ptr<Conn>> all;
    for (auto& [id, weak] : impl->conns_) {
      if (auto c = weak.lock()) all.push_back(std::move(c));
    }
    for (auto& c : all) impl->reset(*c, /*count=*/true);
  });
}

void FaultProxy::setResetChance(double p) { impl_->resetChance_ = p; }

void FaultProxy::setLatency(std::chrono::milliseconds latency) {
  impl_->latencyMs_ = latency.count();
}

void FaultProxy::setDropChance(DropKind kind, double p) { impl_->dropChance(kind) = p; }

void FaultProxy::setStorm(int code, int retryAfterSeconds, double fraction) {
  impl_->retryAfter_ = retryAfterSeconds;
  impl_->stormFraction_ = fraction;
  impl_->stormCode_ = code;
}

void FaultProxy::clearFaults() {
  impl_->silent_ = false;
  impl_->resetChance_ = 0;
  impl_->latencyMs_ = 0;
  impl_->dropSecret_ = 0;
  impl_->dropUpdate_ = 0;
  impl_->dropStatus_ = 0;
  impl_->stormCode_ = 0;
}

FaultCounts FaultProxy::counts() const {
  FaultCounts c;
  c.connections = impl_->connections_;
  c.forwarded = impl_->forwarded_;
  c.delayed = impl_->delayed_;
  c.silenced = impl_->silenced_;
  c.resets = impl_->resets_;
  c.droppedSecretCreates = impl_->droppedSecretCreates_;
  c.droppedSecretUpdates = impl_->droppedSecretUpdates_;
  c.droppedStatusWrites = impl_->droppedStatusWrites_;
  c.storm429 = impl_->storm429_;
  c.storm503 = impl_->storm503_;
  c.upstreamErrors = impl_->upstreamErrors_;
  return c;
}

size_t FaultProxy::openConnections() const { return impl_->open_; }

}  // namespace sttest
