// The cpprest Transport across a kube-apiserver restart: the keep-alive
// connections pooled before the restart are dead, and the first requests
// after it (a POST, then a GET and a watch) must still succeed on the first
// call, on the same transport. Restarts the shared plane's kube-apiserver
// (etcd keeps running), so it waits for readiness before going on.
#include <gtest/gtest.h>
#include <unistd.h>

#include <nlohmann/json.hpp>
#include <string>

#include "control_plane.h"
#include "controller/rest_config.h"
#include "controller/transport.h"
#include "integration/rest/socket_census.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;

ctrl::HttpRequest get(const std::string& target) {
  ctrl::HttpRequest request;
  request.target = target;
  return request;
}

ctrl::HttpRequest createConfigMap(const std::string& name) {
  ctrl::HttpRequest request;
  request.method = "POST";
  request.target = "/api/v1/namespaces/default/configmaps";
  request.headers = {{"Content-Type", "application/json"}};
  request.body = nlohmann::json{
      {"apiVersion", "v1"},
      {"kind", "ConfigMap"},
      {"metadata", {{"name", name}}},
      {"data",
       {{"k", "v"}}}}.dump();
  return request;
}

// Both transports: makeTransport (the default) and makeCppRestTransport.
class TransportRestartTest : public ::testing::TestWithParam<std::string> {};

TEST_P(TransportRestartTest, FirstRequestsAfterAnApiserverRestartSucceed) {
  ControlPlane& cp = sharedControlPlane();
  ctrl::KubeconfigOptions options;
  options.path = cp.kubeconfig();
  auto config = ctrl::loadKubeconfig(options);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  auto made = GetParam() == "Default" ? ctrl::makeTransport(config.value())
                                      : ctrl::makeCppRestTransport(config.value());
  ASSERT_TRUE(made.isOk()) << made.status().toString();
  std::unique_ptr<ctrl::Transport> transport = std::move(made).value();

  const std::string name = "st-rest-restart-" + std::to_string(getpid());
  // A watch that ends at once (timeoutSeconds=1); its connection goes back
  // to the pool of the stream client for this idle timeout.
  ctrl::HttpRequest watch =
      get("/api/v1/namespaces/default/"
          "configmaps?watch=1&timeoutSeconds=1&fieldSelector=metadata.name%3D" +
          name);
  watch.timeout = 30s;
  int lines = 0;
  const auto countLines = [&](std::string_view) {
    ++lines;
    return true;
  };
  auto watched = transport->stream(watch, countLines, std::stop_token());
  ASSERT_TRUE(watched.isOk()) << watched.status().toString();
  EXPECT_EQ(lines, 0);

  // Fill the request pool, and check it holds a connection to the server.
  for (int i = 0; i < 3; ++i) {
    auto warm = transport->send(get("/version"));
    ASSERT_TRUE(warm.isOk()) << warm.status().toString();
    ASSERT_EQ(warm->status, 200);
  }
  const int port = portOf(config->server);
  ASSERT_FALSE(establishedSocketsTo(port).empty()) << "no pooled connection to " << port;

  ASSERT_TRUE(cp.stopApiserver().isOk());
  ASSERT_TRUE(cp.startApiserver().isOk());

  // A POST is the case the library does not replay by itself: writing its
  // body onto the dead pooled connection fails.
  auto created = transport->send(createConfigMap(name));
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  EXPECT_EQ(created->status, 201) << created->body;

  auto read = transport->send(get("/api/v1/namespaces/default/configmaps/" + name));
  ASSERT_TRUE(read.isOk()) << read.status().toString();
  EXPECT_EQ(read->status, 200) << read->body;

  // The same watch: now it sees the ConfigMap's ADDED event, then ends.
  lines = 0;
  watched = transport->stream(watch, countLines, std::stop_token());
  ASSERT_TRUE(watched.isOk()) << watched.status().toString();
  EXPECT_EQ(watched->status, 200);
  EXPECT_EQ(lines, 1);

  ctrl::HttpRequest remove;
  remove.method = "DELETE";
  remove.target = "/api/v1/namespaces/default/configmaps/" + name;
  auto removed = transport->send(remove);
  ASSERT_TRUE(removed.isOk()) << removed.status().toString();
  EXPECT_EQ(removed->status, 200);
}

}  // namespace
INSTANTIATE_TEST_SUITE_P(, TransportRestartTest, ::testing::Values("Default", "CppRest"),
                         [](const ::testing::TestParamInfo<std::string>& param) {
                           return param.param;
                         });

}  // namespace sttest
