// rest::DeadlineSocket on loopback: a read waits for data, fails with a
// timeout at its deadline, and an interrupt from another thread ends a wait
// at once; connect reports a refused port.
#include "rest/deadline_socket.h"

#include <gtest/gtest.h>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <chrono>
#include <future>
#include <string>
#include <thread>

namespace {

namespace asio = boost::asio;
using ctrl::rest::DeadlineSocket;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;

class DeadlineSocketTest : public ::testing::Test {
 protected:
  void SetUp() override {
    acceptor_.open(tcp::v4());
    acceptor_.bind({asio::ip::address_v4::loopback(), 0});
    acceptor_.listen();
    tcp::resolver resolver(ioc_);
    boost::system::error_code ec =
        socket_.connect(resolver.resolve("127.0.0.1", std::to_string(port())));
    ASSERT_FALSE(ec) << ec.message();
    acceptor_.accept(peer_);
  }
  unsigned short port() const { return acceptor_.local_endpoint().port(); }

  asio::io_context ioc_;
  tcp::acceptor acceptor_{ioc_};
  tcp::socket peer_{ioc_};
  DeadlineSocket socket_{ioc_};
};

TEST_F(DeadlineSocketTest, ReadsWhatThePeerWritesAndWritesWhatThePeerReads) {
  socket_.expiresAfter(30s);  // a failure bound only
  auto reader = std::async(std::launch::async, [&] {
    char buf[5] = {};
    boost::system::error_code ec;
    const size_t n = asio::read(socket_, asio::buffer(buf), ec);
    return ec ? ec.message() : std::string(buf, n);
  });
  asio::write(peer_, asio::buffer(std::string("hello")));
  EXPECT_EQ(reader.get(), "hello");

  boost::system::error_code ec;
  asio::write(socket_, asio::buffer(std::string("back")), ec);
  ASSERT_FALSE(ec) << ec.message();
  char got[4] = {};
  asio::read(peer_, asio::buffer(got));
  EXPECT_EQ(std::string(got, 4), "back");
}

TEST_F(DeadlineSocketTest, AReadWithNothingToReadFailsWithATimeoutAtItsDeadline) {
  socket_.expiresAfter(50ms);
  const auto started = std::chrono::steady_clock::now();
  char buf[1];
  boost::system::error_code ec;
  EXPECT_EQ(socket_.read_some(asio::buffer(buf), ec), 0u);
  EXPECT_EQ(ec, boost::beast::error::timeout) << ec.message();
  EXPECT_GE(std::chrono::steady_clock::now() - started, 50ms) << "gave up before its deadline";
  // A deadline already past fails at once, without waiting.
  EXPECT_EQ(socket_.read_some(asio::buffer(buf), ec), 0u);
  EXPECT_EQ(ec, boost::beast::error::timeout);
}

TEST_F(DeadlineSocketTest, AnInterruptFromAnotherThreadEndsAWaitAndEveryLaterOne) {
  socket_.expiresAfter(60s);  // the read must end long before
  auto reader = std::async(std::launch::async, [&] {
    char buf[1];
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(buf), ec);
    return ec;
  });
  // Whether the reader is already waiting or not: it ends either way.
  socket_.interrupt();
  ASSERT_EQ(reader.wait_for(30s), std::future_status::ready) << "the interrupt did not wake it";
  EXPECT_EQ(reader.get(), asio::error::operation_aborted);
  // The interrupt is for good: a later read that would wait is refused at
  // once, not after its deadline a minute away.
  auto later = std::async(std::launch::async, [&] {
    char buf[1];
    boost::system::error_code ec;
    socket_.read_some(asio::buffer(buf), ec);
    return ec;
  });
  ASSERT_EQ(later.wait_for(30s), std::future_status::ready);
  EXPECT_EQ(later.get(), asio::error::operation_aborted);
}

TEST(DeadlineSocketConnectTest, ARefusedPortIsAnErrorNotAWait) {
  asio::io_context ioc;
  unsigned short closedPort = 0;
  {
    tcp::acceptor probe(ioc, {asio::ip::address_v4::loopback(), 0});
    closedPort = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  DeadlineSocket socket(ioc);
  socket.expiresAfter(30s);
  tcp::resolver resolver(ioc);
  const boost::system::error_code ec =
      socket.connect(resolver.resolve("127.0.0.1", std::to_string(closedPort)));
  EXPECT_EQ(ec, asio::error::connection_refused) << ec.message();
  EXPECT_FALSE(socket.isOpen());
}

}  // namespace
