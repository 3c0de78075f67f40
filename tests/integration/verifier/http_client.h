// A small synchronous HTTP(S) client for the verifier's integration tests
// (Boost.Beast), so requests carry exactly the headers a proxy would send.
// Test-only; header-only.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace sttest {

struct HttpResult {
  int status = 0;                              // 0: no answer (connection failed)
  std::map<std::string, std::string> headers;  // lowercase names
  std::string body;

  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Sends one request to 127.0.0.1:port; HTTPS when `caFile` is set (the
// server's certificate must verify against it for 127.0.0.1).
inline HttpResult httpRequest(int port, const std::string& method, const std::string& target,
                              const HeaderList& headers = {}, const std::string& body = "",
                              const std::string& caFile = "") {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace net = boost::asio;
  using tcp = net::ip::tcp;
  HttpResult out;
  try {
    net::io_context io;
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    for (const auto& [name, value] : headers) req.insert(name, value);
    req.body() = body;
    req.prepare_payload();
    http::response<http::string_body> res;
    beast::flat_buffer buffer;
    const tcp::endpoint endpoint(net::ip::make_address("127.0.0.1"),
                                 static_cast<unsigned short>(port));
    if (caFile.empty()) {
      beast::tcp_stream stream(io);
      stream.connect(endpoint);
      http::write(stream, req);
      http::read(stream, buffer, res);
    } else {
      net::ssl::context ctx(net::ssl::context::tls_client);
      ctx.load_verify_file(caFile);
      ctx.set_verify_mode(net::ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
      stream.set_verify_callback(net::ssl::host_name_verification("127.0.0.1"));
      beast::get_lowest_layer(stream).connect(endpoint);
      stream.handshake(net::ssl::stream_base::client);
      http::write(stream, req);
      http::read(stream, buffer, res);
    }
    out.status = res.result_int();
    for (const auto& field : res) {
      std::string name(field.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      out.headers[name] = std::string(field.value());
    }
    out.body = res.body();
  } catch (const std::exception&) {
    out.status = 0;
  }
  return out;
}

}  // namespace sttest
