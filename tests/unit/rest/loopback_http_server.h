// A minimal HTTP/1.1 server on 127.0.0.1 for transport tests: plain TCP,
// keep-alive, Content-Length request bodies only. It records which connection
// carried each request and can misbehave on demand the way a real API server
// does (restart: idle connections reset; a connection dropped after reading
// the request; answers held back until several requests wait at once; an
// answer that stops mid-way and leaves the connection open, silent; open
// connections gone half-open).
//
// One thread runs a poll() loop over every socket; the test thread talks to it
// through a mutex and a wake-up pipe, and waits on conditions, never sleeps.
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "loopback_listener.h"

namespace sttest {

class LoopbackHttpServer {
 public:
  struct Request {
    int connection = 0;  // 1 for the first connection accepted, and so on
    std::string method;
    std::string target;
    std::string body;
  };

  // Listens on a free loopback port. Throws std::runtime_error when the
  // environment has no loopback networking (not a test outcome).
  LoopbackHttpServer() {
    listenFd_ = listenOnLoopback(64, port_);
    if (pipe2(wakeFds_, O_CLOEXEC | O_NONBLOCK) != 0) {
      close(listenFd_);
      throw std::runtime_error("cannot create the wake-up pipe");
    }
    thread_ = std::thread([this] { run(); });
  }

  ~LoopbackHttpServer() {
    {
      std::lock_guard lock(mu_);
      stopping_ = true;
    }
    wake();
    thread_.join();
    for (auto& [fd, connection] : connections_) close(fd);
    close(listenFd_);
    close(wakeFds_[0]);
    close(wakeFds_[1]);
  }

  LoopbackHttpServer(const LoopbackHttpServer&) = delete;
  LoopbackHttpServer& operator=(const LoopbackHttpServer&) = delete;

  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  // Answers a request for which `responder` returns bytes with exactly those
  // bytes (status line, headers, as much body as wanted), and then nothing
  // more: the connection stays open, silent, until the client closes it.
  // Other requests get the default answer. Called on the server's thread
  // with its lock held: must be quick and must not call the server.
  using Responder = std::function<std::optional<std::string>(const Request& request)>;
  void setResponder(Responder responder) {
    std::lock_guard lock(mu_);
    responder_ = std::move(responder);
  }

  std::vector<Request> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  int connectionsAccepted() const {
    std::lock_guard lock(mu_);
    return accepted_;
  }
  // How many connections the client closed (the server never closes one on
  // its own unless told to).
  int connectionsClosedByClient() const {
    std::lock_guard lock(mu_);
    return static_cast<int>(closedByClient_.size());
  }
  bool closedByClient(int connection) const {
    std::lock_guard lock(mu_);
    return closedByClient_.count(connection) != 0;
  }
  // The most requests that were waiting for an answer at the same time.
  int maxWaiting() const {
    std::lock_guard lock(mu_);
    return maxWaiting_;
  }

  // Closes every idle connection with a TCP reset, as a restarting server
  // leaves a client's pooled connections, and returns once they are closed.
  void resetIdleConnections() {
    std::unique_lock lock(mu_);
    const int ticket = ++resetRequested_;
    wake();
    done_.wait(lock, [&] { return resetDone_ >= ticket; });
  }

  // The next request is read in full, then its connection is closed without
  // an answer (the server may or may not have acted on it).
  void dropNextRequest() {
    std::lock_guard lock(mu_);
    dropNext_ = true;
  }

  // Every connection open now gets no answer ever again (half-open: the
  // requests are read, the sockets stay open); later connections do.
  void silenceOpenConnections() {
    std::lock_guard lock(mu_);
    silentUpTo_ = accepted_;
  }

  // Holds answers back until `count` requests wait at once, or `patience`
  // passes (a failure bound), then answers them all. count 0: never answer
  // until the server is destroyed.
  void holdAnswers(int count, std::chrono::milliseconds patience) {
    std::lock_guard lock(mu_);
    holdCount_ = count;
    holdUntil_ = std::chrono::steady_clock::now() + patience;
    holding_ = true;
  }

 private:
  struct Connection {
    int id = 0;
    std::string input;     // bytes not yet parsed into a request
    bool waiting = false;  // a request has arrived and awaits its answer
    Request pending;       // that request
  };

  void wake() {
    const char byte = 1;
    [[maybe_unused]] ssize_t n = write(wakeFds_[1], &byte, 1);
  }

  void run() {
    for (;;) {
      std::vector<pollfd> fds = {{listenFd_, POLLIN, 0}, {wakeFds_[0], POLLIN, 0}};
      for (const auto& [fd, connection] : connections_) fds.push_back({fd, POLLIN, 0});
      int timeoutMs = -1;
      {
        std::lock_guard lock(mu_);
        if (stopping_) return;
        if (holding_ && holdCount_ > 0) {
          const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
              holdUntil_ - std::chrono::steady_clock::now());
          timeoutMs = static_cast<int>(std::max<int64_t>(0, left.count()));
        }
      }
      poll(fds.data(), fds.size(), timeoutMs);
      char drain[64];
      while (read(wakeFds_[0], drain, sizeof(drain)) > 0) {
      }
      if (fds[0].revents & POLLIN) acceptOne();
      for (size_t i = 2; i < fds.size(); ++i) {
        if (fds[i].revents != 0) readFrom(fds[i].fd);
      }
      std::lock_guard lock(mu_);
      if (resetDone_ < resetRequested_) {
        resetIdleLocked();
        resetDone_ = resetRequested_;
        done_.notify_all();
      }
      answerIfReleasedLocked();
    }
  }

  void acceptOne() {
    const int fd = accept4(listenFd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) return;
    std::lock_guard lock(mu_);
    connections_[fd].id = ++accepted_;
  }

  void readFrom(int fd) {
    char buffer[16384];
    const ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    std::lock_guard lock(mu_);
    if (n <= 0) {
      closedByClient_.insert(connections_[fd].id);
      close(fd);
      connections_.erase(fd);
      return;
    }
    Connection& connection = connections_[fd];
    connection.input.append(buffer, static_cast<size_t>(n));
    Request request;
    if (connection.waiting || !parseLocked(connection, request)) return;
    requests_.push_back(request);
    if (dropNext_) {
      dropNext_ = false;
      close(fd);
      connections_.erase(fd);
      return;
    }
    connection.waiting = true;
    connection.pending = request;
    answerIfReleasedLocked();
  }

  // Takes one complete request off the connection's input, if there is one.
  static bool parseLocked(Connection& connection, Request& request) {
    const size_t end = connection.input.find("\r\n\r\n");
    if (end == std::string::npos) return false;
    const std::string head = connection.input.substr(0, end + 2);
    size_t length = 0;
    for (size_t pos = head.find("\r\n") + 2; pos < head.size();) {
      const size_t eol = head.find("\r\n", pos);
      std::string line = head.substr(pos, eol - pos);
      std::transform(line.begin(), line.end(), line.begin(),
                     [](unsigned char c) { return std::tolower(c); });
      if (line.rfind("content-length:", 0) == 0) length = std::stoul(line.substr(15));
      pos = eol + 2;
    }
    if (connection.input.size() < end + 4 + length) return false;
    const size_t space1 = head.find(' ');
    const size_t space2 = head.find(' ', space1 + 1);
    request.connection = connection.id;
    request.method = head.substr(0, space1);
    request.target = head.substr(space1 + 1, space2 - space1 - 1);
    request.body = connection.input.substr(end + 4, length);
    connection.input.erase(0, end + 4 + length);
    return true;
  }

  void answerIfReleasedLocked() {
    int waiting = 0;
    for (const auto& [fd, connection] : connections_) waiting += connection.waiting ? 1 : 0;
    maxWaiting_ = std::max(maxWaiting_, waiting);
    if (holding_) {
      if (holdCount_ == 0) return;
      if (waiting < holdCount_ && std::chrono::steady_clock::now() < holdUntil_) return;
      holding_ = false;
    }
    for (auto& [fd, connection] : connections_) {
      if (!connection.waiting || connection.id <= silentUpTo_) continue;
      connection.waiting = false;
      if (responder_) {
        if (std::optional<std::string> custom = responder_(connection.pending)) {
          [[maybe_unused]] ssize_t n = send(fd, custom->data(), custom->size(), MSG_NOSIGNAL);
          continue;
        }
      }
      // One line of JSON naming the connection, so a stream sees one line.
      const std::string body = "{\"connection\":" + std::to_string(connection.id) + "}\n";
      const std::string response =
          "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      [[maybe_unused]] ssize_t n = send(fd, response.data(), response.size(), MSG_NOSIGNAL);
    }
  }

  void resetIdleLocked() {
    for (auto it = connections_.begin(); it != connections_.end();) {
      if (it->second.waiting || !it->second.input.empty()) {
        ++it;
        continue;
      }
      // Linger 0: close() sends a reset instead of a FIN.
      linger reset{1, 0};
      setsockopt(it->first, SOL_SOCKET, SO_LINGER, &reset, sizeof(reset));
      close(it->first);
      it = connections_.erase(it);
    }
  }

  int listenFd_ = -1;
  int wakeFds_[2] = {-1, -1};
  int port_ = 0;
  std::thread thread_;

  mutable std::mutex mu_;
  std::condition_variable done_;
  bool stopping_ = false;
  std::map<int, Connection> connections_;  // by fd; touched by the server thread
  std::vector<Request> requests_;
  int accepted_ = 0;
  std::set<int> closedByClient_;  // connection ids
  int maxWaiting_ = 0;
  int resetRequested_ = 0;
  int resetDone_ = 0;
  bool dropNext_ = false;
  int silentUpTo_ = 0;  // connections with an id up to this are never answered
  Responder responder_;
  bool holding_ = false;
  int holdCount_ = 0;
  std::chrono::steady_clock::time_point holdUntil_;
};

}  // namespace sttest
