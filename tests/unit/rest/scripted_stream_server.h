// A loopback HTTP server the test thread drives byte by byte, for streamed
// (watch) responses: accept() takes one connection and reads its request
// header; the test then writes the status line, headers and body pieces as
// it likes, waiting between them on what the client did (lines delivered),
// and ends the connection with a close or a reset. Everything runs on the
// test thread; the client under test runs on another. Every wait has a
// deadline that is a failure bound, not a measurement.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "loopback_listener.h"

namespace sttest {

class ScriptedStreamServer {
 public:
  // Listens on a free loopback port. Throws std::runtime_error when the
  // environment has no loopback networking (not a test outcome).
  ScriptedStreamServer() { listenFd_ = listenOnLoopback(8, port_); }
  ~ScriptedStreamServer() {
    if (fd_ >= 0) close(fd_);
    close(listenFd_);
  }
  ScriptedStreamServer(const ScriptedStreamServer&) = delete;
  ScriptedStreamServer& operator=(const ScriptedStreamServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Accepts the next connection and reads one request header from it (the
  // streams under test send no body). Returns the request line, or "" when
  // none came within `bound`.
  std::string accept(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
    if (!readable(listenFd_, bound)) return "";
    fd_ = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd_ < 0) return "";
    std::string input;
    char buffer[4096];
    while (input.find("\r\n\r\n") == std::string::npos) {
      if (!readable(fd_, bound)) return "";
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return "";
      input.append(buffer, static_cast<size_t>(n));
    }
    return input.substr(0, input.find("\r\n"));
  }

  // Writes `bytes` whole. False when the client has gone (closed or reset).
  bool write(const std::string& bytes) {
    size_t sent = 0;
    while (sent < bytes.size()) {
      const ssize_t n = send(fd_, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return false;
      sent += static_cast<size_t>(n);
    }
    return true;
  }
  // One chunk of a chunked body.
  bool writeChunk(const std::string& data) {
    char size[32];
    std::snprintf(size, sizeof(size), "%zx\r\n", data.size());
    return write(size + data + "\r\n");
  }
  // The last chunk: the server ends the stream.
  bool endChunks() { return write("0\r\n\r\n"); }

  // Closes the connection (FIN), or with a TCP reset.
  void closeConnection(bool reset = false) {
    if (reset) {
      linger hard{1, 0};
      setsockopt(fd_, SOL_SOCKET, SO_LINGER, &hard, sizeof(hard));
    }
    close(fd_);
    fd_ = -1;
  }

  // True once the client has closed the connection (within `bound`).
  bool closedByClient(std::chrono::milliseconds bound = std::chrono::seconds(30)) {
    const auto deadline = std::chrono::steady_clock::now() + bound;
    char buffer[4096];
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0 || !readable(fd_, left)) return false;
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n <= 0) return true;  // EOF or reset
    }
  }

 private:
  static bool readable(int fd, std::chrono::milliseconds bound) {
    pollfd p{fd, POLLIN, 0};
    return poll(&p, 1, static_cast<int>(bound.count())) == 1;
  }

  int listenFd_ = -1;
  int fd_ = -1;
  int port_ = 0;
};

}  // namespace sttest
