// TCP keepalive on the HTTP library's sockets. A watch can sit on a quiet
// connection for minutes; without keepalive a peer that vanished (a node
// lost, a NAT entry dropped) leaves it half-open until the kernel gives up
// hours later. The reflector's silence deadline (reflector.h) is the
// application-level guard; this is the transport-level one, as Go's
// net.Dialer does for client-go (a 30 s keepalive).
#pragma once

#include <chrono>
#include <functional>
#include <string>

namespace ctrl::rest {

struct KeepAliveSettings {
  std::chrono::seconds idle{30};      // quiet time before the first probe
  std::chrono::seconds interval{10};  // between unanswered probes
  int probes = 3;                     // unanswered probes before the connection fails
};

// Turns keepalive on for the connected or unconnected TCP socket `fd` with
// `settings`. Returns false when the kernel refused an option.
bool enableKeepAlive(int fd, const KeepAliveSettings& settings);

// The callback for cpprest's http_client_config::set_nativehandle_options
// (asio backend, cpprestsdk 2.10), which hands it the connection's socket
// before each request: a boost::asio::ssl::stream<tcp::socket&>* when `tls`,
// else a tcp::socket*. A reused connection's socket is open and gets the
// options at once. A new connection's socket is opened here first when
// `host` is an IP literal (the library then connects the open socket); for a
// host name the address family is not known yet, so only reused connections
// get keepalive.
std::function<void(void*)> keepAliveOnEachRequest(const std::string& host, bool tls,
                                                  KeepAliveSettings settings = {});

}  // namespace ctrl::rest
