#include "rest/deadline_socket.h"

#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/beast/core/error.hpp>
#include <cerrno>
#include <climits>
#include <cstdint>

namespace ctrl::rest {

namespace asio = boost::asio;
using boost::system::error_code;

DeadlineSocket::DeadlineSocket(asio::io_context& ioc)
    : socket_(ioc), interruptFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

DeadlineSocket::~DeadlineSocket() {
  if (interruptFd_ >= 0) ::close(interruptFd_);
}

void DeadlineSocket::interrupt() {
  if (interruptFd_ >= 0) {
    const uint64_t one = 1;
    // Only fails when the counter would overflow: it is readable anyway.
    [[maybe_unused]] const ssize_t n = ::write(interruptFd_, &one, sizeof one);
  }
}

void DeadlineSocket::close() {
  error_code ignored;
  socket_.close(ignored);
}

bool DeadlineSocket::waitFor(Direction direction, error_code& ec) {
  pollfd fds[2] = {
      {socket_.native_handle(), static_cast<short>(direction == kReadable ? POLLIN : POLLOUT), 0},
      {interruptFd_, POLLIN, 0},
  };
  const nfds_t count = interruptFd_ >= 0 ? 2 : 1;
  for (;;) {
    const Clock::time_point now = Clock::now();
    if (now >= deadline_) {
      ec = boost::beast::error::timeout;
      return false;
    }
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline_ - now).count();
    const int timeoutMs = left > INT_MAX ? INT_MAX : static_cast<int>(left);
    const int ready = ::poll(fds, count, timeoutMs);
    if (ready < 0) {
      if (errno == EINTR) continue;
      ec = error_code(errno, boost::system::system_category());
      return false;
    }
    if (count == 2 && fds[1].revents != 0) {
      ec = asio::error::operation_aborted;
      return false;
    }
    // Readiness, or an error or hang-up the next read or write reports.
    if (fds[0].revents != 0) return true;
  }
}

error_code DeadlineSocket::connect(const asio::ip::tcp::resolver::results_type& endpoints) {
  error_code ec = asio::error::host_not_found;
  for (const auto& entry : endpoints) {
    const asio::ip::tcp::endpoint endpoint = entry.endpoint();
    close();
    socket_.open(endpoint.protocol(), ec);
    if (!ec) socket_.non_blocking(true, ec);
    if (ec) continue;
    if (::connect(socket_.native_handle(), endpoint.data(), endpoint.size()) == 0) return {};
    if (errno != EINPROGRESS && errno != EINTR) {
      ec = error_code(errno, boost::system::system_category());
      continue;
    }
    // A timeout or an interrupt ends the whole connect, not just this
    // endpoint's attempt.
    if (!waitFor(kWritable, ec)) return ec;
    int err = 0;
    socklen_t length = sizeof err;
    if (::getsockopt(socket_.native_handle(), SOL_SOCKET, SO_ERROR, &err, &length) != 0) {
      err = errno;
    }
    if (err == 0) return {};
    ec = error_code(err, boost::system::system_category());
  }
  close();
  return ec;
}

}  // namespace ctrl::rest
