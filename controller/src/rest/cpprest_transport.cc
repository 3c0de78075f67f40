// The cpprestsdk-backed Transport. This file (with cpprest_http_server.cc) is
// the only place that includes cpprest headers.
//
// Notes on cpprestsdk 2.10 (asio backend) that shape this code:
// - http_client_config::set_timeout is an idle timer, reset on every chunk.
//   send() adds its own overall deadline; stream() uses request.timeout as the
//   idle timeout, so clients are pooled per timeout value.
// - Cancelling the pplx token closes the socket, which fails any pending body
//   read: that is how a stop request interrupts a blocked watch.
// - Continuations run on the library's shared pool and never block there; the
//   waiting (.get(), future waits) happens on the caller's thread.
#include <cpprest/containerstream.h>
#include <cpprest/http_client.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/ssl.hpp>
#include <future>
#include <map>
#include <mutex>
#include <stop_token>
#include <vector>

#include "controller/transport.h"
#include "rest/pem.h"

namespace ctrl {
namespace {

using web::http::http_request;
using web::http::http_response;
using web::http::client::http_client;
using web::http::client::http_client_config;

constexpr size_t kMaxErrorBodyBytes = 64 << 10;  // non-200 answers to a stream
constexpr size_t kMaxLineBytes = 64 << 20;       // one watch event
constexpr size_t kMaxReadBytes = 64 << 10;       // one read from the body buffer
constexpr size_t kMaxPooledClients = 8;          // distinct timeout values kept

struct TlsMaterial {
  std::string caPem;
  std::string certPem;
  std::string keyPem;
};

void configureTls(boost::asio::ssl::context& ctx, const TlsMaterial& tls) {
  ctx.set_options(boost::asio::ssl::context::no_sslv2 | boost::asio::ssl::context::no_sslv3 |
                  boost::asio::ssl::context::no_tlsv1 | boost::asio::ssl::context::no_tlsv1_1);
  if (!tls.caPem.empty()) {
    // Trust only the configured CA, not the system store (as client-go does
    // when a CA is given). cpprest has already loaded the system paths.
    if (X509_STORE* store = X509_STORE_new()) SSL_CTX_set_cert_store(ctx.native_handle(), store);
    ctx.add_certificate_authority(boost::asio::buffer(tls.caPem));
  }
  if (!tls.certPem.empty()) {
    ctx.use_certificate_chain(boost::asio::buffer(tls.certPem));
    ctx.use_private_key(boost::asio::buffer(tls.keyPem), boost::asio::ssl::context::pem);
  }
}

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
    return errorStatus(Code::kUnavailable, std::string("request failed: ") + e.what());
  } catch (const pplx::task_canceled&) {
    return errorStatus(Code::kCancelled, "request cancelled");
  } catch (const std::bad_alloc&) {
    return errorStatus(Code::kInternal, "out of memory");
  } catch (const std::exception& e) {
    return errorStatus(Code::kUnavailable, std::string("request failed: ") + e.what());
  } catch (...) {
    return errorStatus(Code::kInternal, "request failed with an unknown error");
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

// Cancels the request when the scope ends. Harmless after a completed
// request (its cancellation registration is already gone); otherwise it
// closes the connection so a half-read body is never reused.
class CancelOnExit {
 public:
  explicit CancelOnExit(pplx::cancellation_token_source& cts) : cts_(cts) {}
  ~CancelOnExit() { cts_.cancel(); }
  CancelOnExit(const CancelOnExit&) = delete;
  CancelOnExit& operator=(const CancelOnExit&) = delete;

 private:
  pplx::cancellation_token_source& cts_;
};

class CppRestTransport final : public Transport {
 public:
  CppRestTransport(RestConfig config, web::uri base)
      : config_(std::move(config)),
        base_(std::move(base)),
        tls_(std::make_shared<const TlsMaterial>(
            TlsMaterial{config_.caPem, config_.clientCertPem, config_.clientKeyPem})) {}

  StatusOr<HttpResponse> send(const HttpRequest& request) override;
  StatusOr<HttpResponse> stream(const HttpRequest& request, const LineHandler& onLine,
                                std::stop_token stop) override;

 private:
  std::shared_ptr<http_client> clientFor(std::chrono::milliseconds timeout);
  StatusOr<http_request> buildRequest(const HttpRequest& request) const;

  const RestConfig config_;
  const web::uri base_;
  const std::shared_ptr<const TlsMaterial> tls_;
  std::mutex mu_;
  // Keyed by idle timeout in ms. Each client keeps its own keep-alive pool.
  std::map<int64_t, std::shared_ptr<http_client>> clients_;
};

std::shared_ptr<http_client> CppRestTransport::clientFor(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mu_);
  auto it = clients_.find(timeout.count());
  if (it != clients_.end()) return it->second;
  http_client_config cfg;
  cfg.set_timeout(timeout);
  cfg.set_validate_certificates(!config_.insecureSkipTlsVerify);
  cfg.set_ssl_context_callback(
      [tls = tls_](boost::asio::ssl::context& ctx) { configureTls(ctx, *tls); });
  auto client = std::make_shared<http_client>(base_, cfg);
  // In-flight requests hold their own reference, so dropping one is safe.
  if (clients_.size() >= kMaxPooledClients) clients_.erase(clients_.begin());
  clients_.emplace(timeout.count(), client);
  return client;
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
  if (!request.body.empty() || request.method == "POST" || request.method == "PUT" ||
      request.method == "PATCH") {
    // Bytes, not a std::string: cpprest would type-pun a string buffer.
    req.set_body(std::vector<unsigned char>(request.body.begin(), request.body.end()));
    req.headers().set_content_type(contentType);
  }
  return req;
}

StatusOr<HttpResponse> CppRestTransport::send(const HttpRequest& request) {
  auto req = buildRequest(request);
  if (!req.isOk()) return req.status();
  auto done = std::make_shared<std::promise<StatusOr<HttpResponse>>>();
  auto result = done->get_future();
  pplx::cancellation_token_source cts;
  CancelOnExit cancelOnExit(cts);
  try {
    clientFor(request.timeout)
        ->request(std::move(req).value(), cts.get_token())
        .then([](http_response response) {
          // A byte buffer, matching the body's uint8_t stream: a std::string
          // buffer would be type-punned by cpprest (UBSan flags it).
          auto body =
              std::make_shared<concurrency::streams::container_buffer<std::vector<uint8_t>>>();
          return response.body().read_to_end(*body).then([response, body](size_t) {
            HttpResponse out;
            out.status = response.status_code();
            const std::vector<uint8_t>& bytes = body->collection();
            out.body.assign(bytes.begin(), bytes.end());
            out.headers = copyHeaders(response.headers());
            return out;
          });
        })
        .then([done](pplx::task<HttpResponse> task) {
          try {
            done->set_value(task.get());
          } catch (...) {
            done->set_value(statusFromException(std::current_exception()));
          }
        });
  } catch (...) {
    return statusFromException(std::current_exception());
  }
  // The client's own timer only limits quiet gaps; this bounds the whole
  // exchange. On expiry, CancelOnExit closes the connection.
  if (result.wait_for(request.timeout) != std::future_status::ready) {
    return errorStatus(Code::kTimeout, "request timed out after " +
                                           std::to_string(request.timeout.count()) + " ms");
  }
  return result.get();
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
  try {
    response = clientFor(request.timeout)->request(std::move(req).value(), cts.get_token()).get();
  } catch (...) {
    if (stop.stop_requested()) return cancelled();
    return statusFromException(std::current_exception());
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
    if (got == 0) break;  // the server ended the body
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
  try {
    return std::unique_ptr<Transport>(std::make_unique<CppRestTransport>(config, std::move(base)));
  } catch (const std::exception&) {
    return errorStatus(Code::kInternal, "cannot create the HTTP client");
  }
}

}  // namespace ctrl
