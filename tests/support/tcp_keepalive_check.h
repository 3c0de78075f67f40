// Asserts that a connected socket carries the transports' TCP keepalive
// (SO_KEEPALIVE on, first probe after 30 s idle).
#pragma once

#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace sttest {

inline void expectTcpKeepalive(int fd) {
  int keepalive = 0, idle = 0;
  socklen_t size = sizeof keepalive;
  getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &keepalive, &size);
  size = sizeof idle;
  getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, &size);
  EXPECT_EQ(keepalive, 1) << "fd " << fd;
  EXPECT_EQ(idle, 30) << "fd " << fd;
}

}  // namespace sttest
