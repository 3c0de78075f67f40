// A TCP socket for Beast's and Asio's synchronous operations (the
// SyncReadStream and SyncWriteStream concepts), each bounded by a deadline
// and interruptible from another thread.
//
// Why: the Beast transport used to run every exchange as asynchronous
// operations on a per-connection io_context, run on the calling thread.
// Each completion goes through the io_context's queue, and between two
// queued handlers the reactor polls epoll once more; every operation's
// deadline is a timer (timerfd_settime). strace at 2,000 tokens counted
// 12 epoll_wait and 2.4 timerfd_settime calls per request. Here the socket
// is non-blocking underneath and a read or write that would block waits in
// one poll() on the socket and an interrupt eventfd, until the deadline.
// A read right after a write waits before it receives (the answer cannot
// be there yet): a request is a send, a poll and a receive.
//
// Contract:
// - read_some/write_some transfer at least one byte, or fail with
//   beast::error::timeout once the deadline passed, with
//   asio::error::operation_aborted once interrupt() was called (for good:
//   a connection that was interrupted is dropped), or with the socket's
//   own error (asio::error::eof on a closed connection).
// - connect() connects to the first endpoint that answers, within the
//   deadline; an interrupt aborts it too.
// - interrupt() may be called from any thread, at any time, any number of
//   times; everything else belongs to the thread that owns the connection.
#pragma once

#include <boost/asio/buffer.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>
#include <chrono>
#include <cstddef>
#include <utility>

namespace ctrl::rest {

class DeadlineSocket {
 public:
  using Clock = std::chrono::steady_clock;
  using lowest_layer_type = boost::asio::ip::tcp::socket;
  using executor_type = lowest_layer_type::executor_type;

  explicit DeadlineSocket(boost::asio::io_context& ioc);
  ~DeadlineSocket();
  DeadlineSocket(const DeadlineSocket&) = delete;
  DeadlineSocket& operator=(const DeadlineSocket&) = delete;

  // Every read, write and connect from now on fails with a timeout once
  // `deadline` has passed.
  void expiresAt(Clock::time_point deadline) { deadline_ = deadline; }
  void expiresAfter(std::chrono::milliseconds d) { deadline_ = Clock::now() + d; }

  // Connects to the first of `endpoints` that accepts, trying each in turn.
  boost::system::error_code connect(const boost::asio::ip::tcp::resolver::results_type& endpoints);

  // Wakes a read, write or connect waiting on another thread; it and every
  // later one fail with operation_aborted.
  void interrupt();

  bool isOpen() const { return socket_.is_open(); }
  int nativeHandle() { return socket_.native_handle(); }
  void close();

  lowest_layer_type& lowest_layer() { return socket_; }
  executor_type get_executor() { return socket_.get_executor(); }

  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers, boost::system::error_code& ec) {
    // Right after a write the answer cannot be there yet: wait first rather
    // than spend a receive on EAGAIN.
    if (std::exchange(wrote_, false) && !waitFor(kReadable, ec)) return 0;
    return whenReady(kReadable, ec, [&] { return socket_.read_some(buffers, ec); });
  }
  template <class MutableBufferSequence>
  size_t read_some(const MutableBufferSequence& buffers) {
    boost::system::error_code ec;
    return orThrow(read_some(buffers, ec), ec);
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers, boost::system::error_code& ec) {
    const size_t n = whenReady(kWritable, ec, [&] { return socket_.write_some(buffers, ec); });
    wrote_ = !ec;
    return n;
  }
  template <class ConstBufferSequence>
  size_t write_some(const ConstBufferSequence& buffers) {
    boost::system::error_code ec;
    return orThrow(write_some(buffers, ec), ec);
  }

 private:
  enum Direction { kReadable, kWritable };
  // Runs `transfer` (a non-blocking read or write that sets `ec`) until it
  // does not say it would block, waiting for `direction` in between.
  template <class Transfer>
  size_t whenReady(Direction direction, boost::system::error_code& ec, Transfer transfer) {
    for (;;) {
      const size_t n = transfer();
      if (ec != boost::asio::error::would_block && ec != boost::asio::error::try_again) return n;
      if (!waitFor(direction, ec)) return 0;
    }
  }
  // The throwing overloads Beast's stream concepts also ask for.
  static size_t orThrow(size_t n, const boost::system::error_code& ec) {
    if (ec) throw boost::system::system_error(ec);
    return n;
  }
  // Waits until the socket is ready for `direction`. False with `ec` set
  // when the deadline passed or interrupt() was called first.
  bool waitFor(Direction direction, boost::system::error_code& ec);

  boost::asio::ip::tcp::socket socket_;
  int interruptFd_ = -1;  // an eventfd; readable once interrupt() was called
  Clock::time_point deadline_ = Clock::time_point::max();
  bool wrote_ = false;  // the last operation was a write
};

}  // namespace ctrl::rest
