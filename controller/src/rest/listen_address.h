// Parsing listen addresses ("host:port", ":port", "[v6]:port") into Asio
// endpoints, for the Beast server.
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <string>

#include "controller/status.h"

namespace ctrl {

// ":port" listens on all IPv4 interfaces; the host must be an IP literal or
// a name that resolves. Errors: InvalidArgument (malformed, unresolvable).
StatusOr<boost::asio::ip::tcp::endpoint> parseListenAddress(const std::string& address);

}  // namespace ctrl
