// A watch whose connection stops delivering bytes without closing (a
// half-open connection), on the real stack: each transport (makeTransport,
// the default, and makeCppRestTransport), the client and an informer's
// reflector against a loopback HTTP server that answers the LIST, starts the
// watch stream with one event, then goes silent with the connection left
// open. The reflector must drop that watch after its silence deadline and
// watch again from the event's resourceVersion, without listing again; the
// connections carry TCP keepalive.
#include <dirent.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "controller/client.h"
#include "controller/informer.h"
#include "controller/resource.h"
#include "controller/transport.h"
#include "mocks/eventually.h"
#include "unit/rest/loopback_http_server.h"

namespace {

using namespace std::chrono_literals;
using sttest::LoopbackHttpServer;

std::string http200(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

// The head of a chunked 200 and one chunk holding `line` plus a newline: the
// stream has begun and is never ended.
std::string streamStart(const std::string& line) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx", line.size() + 1);
  return "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
         "Transfer-Encoding: chunked\r\n\r\n" +
         std::string(size) + "\r\n" + line + "\n\r\n";
}

bool isWatch(const LoopbackHttpServer::Request& r) {
  return r.target.find("watch=1") != std::string::npos;
}
bool watchesFrom(const LoopbackHttpServer::Request& r, const std::string& rv) {
  return isWatch(r) && r.target.find("resourceVersion=" + rv + "&") != std::string::npos;
}

// This process's TCP sockets connected to 127.0.0.1:`port` (client ends).
std::vector<int> clientSocketsTo(int port) {
  std::vector<int> fds;
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return fds;
  while (dirent* entry = readdir(dir)) {
    const int fd = std::atoi(entry->d_name);
    if (fd <= 2) continue;
    sockaddr_in peer{};
    socklen_t length = sizeof peer;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &length) != 0) continue;
    if (peer.sin_family == AF_INET && ntohs(peer.sin_port) == port) fds.push_back(fd);
  }
  closedir(dir);
  return fds;
}

int intOption(int fd, int level, int name) {
  int value = -1;
  socklen_t length = sizeof value;
  if (getsockopt(fd, level, name, &value, &length) != 0) return -1;
  return value;
}

// Runs against both transports, named by the parameter.
class SilentWatchTest : public ::testing::TestWithParam<std::string> {};

TEST_P(SilentWatchTest, ASilentWatchIsDroppedAndResumedOnTheRealTransport) {
  LoopbackHttpServer server;
  const std::string list =
      R"({"kind":"ConfigMapList","apiVersion":"v1","metadata":{"resourceVersion":"10"},)"
      R"("items":[{"metadata":{"name":"a","namespace":"ns","resourceVersion":"1"}}]})";
  const std::string event = R"({"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1",)"
                            R"("metadata":{"name":"a","namespace":"ns","resourceVersion":"11"}}})";
  server.setResponder([&](const LoopbackHttpServer::Request& r) -> std::optional<std::string> {
    if (!isWatch(r)) return http200(list);
    if (watchesFrom(r, "10")) return streamStart(event);  // then silence
    return streamStart(R"({"type":"BOOKMARK","object":{"metadata":{"resourceVersion":"11"}}})");
  });

  ctrl::RestConfig config;
  config.server = server.url();
  auto transport =
      GetParam() == "Default" ? ctrl::makeTransport(config) : ctrl::makeCppRestTransport(config);
  ASSERT_TRUE(transport.isOk()) << transport.status().toString();
  auto client = ctrl::makeClient(std::move(transport).value(), config);
  ctrl::ReflectorOptions options;
  options.resource = ctrl::resources::configMap();
  options.ns = "ns";
  options.watchIdleTimeout = 500ms;
  options.initialBackoff = 10ms;
  ctrl::Informer<std::string> informer(*client, *client, options,
                                       [](const ctrl::Json& object) -> ctrl::StatusOr<std::string> {
                                         return object["metadata"].value("resourceVersion", "");
                                       });
  std::jthread running([&](std::stop_token stop) { (void)informer.start(stop); });

  // The first watch has delivered its event and gone quiet.
  ASSERT_TRUE(sttest::eventually([&] { return informer.lastSyncResourceVersion() == "11"; }));
  const auto silentWatch = server.requests().back();
  ASSERT_TRUE(watchesFrom(silentWatch, "10"));
  // Its connection carries TCP keepalive (as does every connection).
  const std::vector<int> sockets = clientSocketsTo(server.port());
  ASSERT_FALSE(sockets.empty());
  for (int fd : sockets) {
    EXPECT_EQ(intOption(fd, SOL_SOCKET, SO_KEEPALIVE), 1) << "fd " << fd;
    EXPECT_EQ(intOption(fd, IPPROTO_TCP, TCP_KEEPIDLE), 30) << "fd " << fd;
  }

  // The bound is a safety net; the deadline under test is 500 ms.
  ASSERT_TRUE(sttest::eventually(
      [&] {
        for (const auto& r : server.requests()) {
          if (watchesFrom(r, "11")) return true;
        }
        return false;
      },
      20s))
      << "the silent watch was never dropped";
  int lists = 0;
  for (const auto& r : server.requests()) lists += isWatch(r) ? 0 : 1;
  EXPECT_EQ(lists, 1) << "a silent watch needs no relist";
  // The silent connection was closed by us, not left open.
  EXPECT_TRUE(sttest::eventually([&] { return server.closedByClient(silentWatch.connection); }));
  EXPECT_EQ(informer.store().get("ns", "a") != nullptr, true);
  running.request_stop();
}

INSTANTIATE_TEST_SUITE_P(, SilentWatchTest, ::testing::Values("Default", "CppRest"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace
