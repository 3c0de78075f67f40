#include "rest/listen_address.h"

#include <boost/asio/io_context.hpp>
#include <charconv>

namespace ctrl {

StatusOr<boost::asio::ip::tcp::endpoint> parseListenAddress(const std::string& address) {
  const auto invalid = [&] {
    return errorStatus(Code::kInvalidArgument,
                       "invalid listen address \"" + address + "\" (want host:port or :port)");
  };
  const size_t colon = address.rfind(':');
  if (colon == std::string::npos) return invalid();
  std::string host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return invalid();
  }
  if (host.empty()) host = "0.0.0.0";
  const std::string portText = address.substr(colon + 1);
  int port = 0;
  const auto [end, ec] = std::from_chars(portText.data(), portText.data() + portText.size(), port);
  if (portText.empty() || ec != std::errc() || end != portText.data() + portText.size() ||
      port < 0 || port > 65535) {
    return invalid();
  }
  boost::system::error_code error;
  auto ip = boost::asio::ip::make_address(host, error);
  if (!error) return boost::asio::ip::tcp::endpoint(ip, static_cast<unsigned short>(port));
  boost::asio::io_context io;
  boost::asio::ip::tcp::resolver resolver(io);
  auto results = resolver.resolve(host, portText, error);
  if (error || results.empty()) {
    return errorStatus(Code::kInvalidArgument, "cannot resolve listen host \"" + host + "\"");
  }
  return results.begin()->endpoint();
}

}  // namespace ctrl
