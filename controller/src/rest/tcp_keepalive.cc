#include "rest/tcp_keepalive.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <optional>

namespace ctrl::rest {

using boost::asio::ip::tcp;

bool enableKeepAlive(int fd, const KeepAliveSettings& settings) {
  const int on = 1;
  const int idle = static_cast<int>(settings.idle.count());
  const int interval = static_cast<int>(settings.interval.count());
  const int probes = settings.probes;
  return setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof on) == 0 &&
         setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof idle) == 0 &&
         setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &interval, sizeof interval) == 0 &&
         setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &probes, sizeof probes) == 0;
}

std::function<void(void*)> keepAliveOnEachRequest(const std::string& host, bool tls,
                                                  KeepAliveSettings settings) {
  std::string literal = host;
  if (literal.size() > 2 && literal.front() == '[' && literal.back() == ']') {
    literal = literal.substr(1, literal.size() - 2);  // an IPv6 literal in a URL
  }
  boost::system::error_code ec;
  const boost::asio::ip::address address = boost::asio::ip::make_address(literal, ec);
  std::optional<tcp> protocol;
  if (!ec) protocol = address.is_v4() ? tcp::v4() : tcp::v6();
  return [protocol, tls, settings](void* handle) {
    tcp::socket& socket =
        tls ? static_cast<boost::asio::ssl::stream<tcp::socket&>*>(handle)->next_layer()
            : *static_cast<tcp::socket*>(handle);
    boost::system::error_code error;
    if (!socket.is_open()) {
      if (!protocol) return;
      // The library connects an open socket as it is (asio opens it only
      // when it is closed), so the options set now hold for the connection.
      socket.open(*protocol, error);
      if (error) return;
    }
    // Best effort: a socket without keepalive still works, and the
    // reflector's silence deadline still applies.
    (void)enableKeepAlive(socket.native_handle(), settings);
  };
}

}  // namespace ctrl::rest
