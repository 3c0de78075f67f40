// nginx (the Debian package) with auth_request in front of a stand-in
// upstream serving /api/... and /scim/v2/Users, asking the verifier: the
// decisions a real proxy enforces, end to end.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "verifier_harness.h"
#include "verifier_plane.h"

namespace sttest {
namespace {

using std::chrono::hours;
using std::chrono::minutes;
using ::testing::HasSubstr;

// nginx in the foreground, one process, everything under a temp directory.
class Nginx {
 public:
  explicit Nginx(int verifierPort) : port_(freeLoopbackPort()), upstream_(freeLoopbackPort()) {
    const std::string d = dir_.path();
    std::ofstream conf(dir_.file("nginx.conf"));
    conf << "error_log " << d << "/error.log warn;\n"
         << "pid " << d << "/nginx.pid;\n"
         << "events { worker_connections 64; }\n"
         << "http {\n"
         << "  access_log off;\n"
         << "  client_body_temp_path " << d << "/body;\n"
         << "  proxy_temp_path " << d << "/proxy;\n"
         << "  fastcgi_temp_path " << d << "/fastcgi;\n"
         << "  uwsgi_temp_path " << d << "/uwsgi;\n"
         << "  scgi_temp_path " << d
         << "/scgi;\n"
         // The stand-in upstream: echoes what the verifier told nginx.
         << "  server {\n"
         << "    listen 127.0.0.1:" << upstream_ << ";\n"
         << "    location /api/ { return 200 \"api user=$http_x_user role=$http_x_role\\n\"; }\n"
         << "    location /scim/v2/ { return 200 \"scim user=$http_x_user\\n\"; }\n"
         << "  }\n"
         << "  server {\n"
         << "    listen 127.0.0.1:" << port_ << ";\n"
         << "    location = /_verify {\n"
         << "      internal;\n"
         << "      proxy_pass http://127.0.0.1:" << verifierPort << "/v1/authorize;\n"
         << "      proxy_pass_request_body off;\n"
         << "      proxy_set_header Content-Length \"\";\n"
         << "      proxy_set_header X-Original-URI $request_uri;\n"
         << "      proxy_set_header X-Original-Method $request_method;\n"
         << "    }\n"
         << "    location / {\n"
         << "      auth_request /_verify;\n"
         << "      auth_request_set $st_user $upstream_http_x_auth_request_user;\n"
         << "      auth_request_set $st_role $upstream_http_x_auth_request_role;\n"
         << "      proxy_set_header X-User $st_user;\n"
         << "      proxy_set_header X-Role $st_role;\n"
         << "      proxy_pass http://127.0.0.1:" << upstream_ << ";\n"
         << "    }\n"
         << "  }\n"
         << "}\n";
    conf.close();
    process_ = std::make_unique<ChildProcess>(
        std::vector<std::string>{"nginx", "-p", d, "-c", dir_.file("nginx.conf"), "-e",
                                 dir_.file("error.log"), "-g", "daemon off; master_process off;"},
        dir_.file("stdout.log"));
    ready_ = eventually([&] { return httpRequest(port_, "GET", "/").status != 0; });
  }

  bool ready() const { return ready_; }
  HttpResult get(const std::string& target, const std::string& token) {
    HeaderList headers;
    if (!token.empty()) headers.emplace_back("Authorization", "Bearer " + token);
    return httpRequest(port_, "GET", target, headers);
  }
  int status(const std::string& target, const std::string& token) {
    return get(target, token).status;
  }
  int waitStatus(const std::string& target, const std::string& token, int want) {
    int last = 0;
    eventually([&] { return (last = status(target, token)) == want; }, std::chrono::seconds(15));
    return last;
  }

 private:
  TempDir dir_;
  int port_;
  int upstream_;
  std::unique_ptr<ChildProcess> process_;
  bool ready_ = false;
};

class NginxAuthRequest : public ::testing::Test {
 protected:
  void SetUp() override {
    op_.start();
    verifier_.start();
    nginx_ = std::make_unique<Nginx>(verifier_.port());
    ASSERT_TRUE(nginx_->ready()) << "nginx did not start";
  }
  std::string userWithToken(const std::string& name, const std::string& tokenSpec = "") {
    op_.apply(serviceUser(name, name + " user") + "  role: Manager\n");
    op_.apply(serviceToken(name, name, name + " token", tokenSpec));
    return activeToken(op_, name);
  }

  OperatorHarness op_{verifierPlane()};
  VerifierHarness verifier_{op_};
  std::unique_ptr<Nginx> nginx_;
};

TEST_F(NginxAuthRequest, AnApiTokenReachesTheApiWithItsIdentity) {
  const std::string token = userWithToken("ngx-api");
  HttpResult r = nginx_->get("/api/v1/things", token);
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "api user=ngxapi_user@default.service role=Manager\n");
  HttpResult none = nginx_->get("/api/v1/things", "");
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.header("www-authenticate"), "Bearer realm=\"servicetoken\"");
}

TEST_F(NginxAuthRequest, AScimTokenReachesScimOnly) {
  const std::string token = userWithToken("ngx-scim", "  scimAdministration: true\n");
  EXPECT_EQ(nginx_->get("/scim/v2/Users", token).body, "scim user=ngxscim_user@default.service\n");
  EXPECT_EQ(nginx_->status("/api/v1/things", token), 403);
  EXPECT_EQ(nginx_->status("/scim/v2/../../api/v1/things", token), 403);
  EXPECT_EQ(nginx_->status("/scim/v2/%2e%2e/%2e%2e/api/v1/things", token), 403);
}

TEST_F(NginxAuthRequest, ARevokedTokenGets401) {
  const std::string token = userWithToken("ngx-revoke");
  ASSERT_EQ(nginx_->status("/api/v1/things", token), 200);
  ASSERT_EQ(op_.kubectl({"patch", "servicetoken", "ngx-revoke", "-n", "default", "--type", "merge",
                         "-p", R"({"spec":{"revoked":true}})"})
                .exitCode,
            0);
  EXPECT_EQ(nginx_->waitStatus("/api/v1/things", token, 401), 401);
}

TEST_F(NginxAuthRequest, TamperedDeletedAndReplacedTokensGet401) {
  const std::string token = userWithToken("ngx-tamper");
  ASSERT_EQ(nginx_->status("/api/v1/things", token), 200);
  std::string tampered = token;
  tampered[tampered.size() / 2] = tampered[tampered.size() / 2] == 'A' ? 'B' : 'A';
  HttpResult r = nginx_->get("/api/v1/things", tampered);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.header("www-authenticate"), HasSubstr("error=\"invalid_token\""));

  // Replaced: the Secret lost and a new token minted.
  ASSERT_EQ(op_.kubectl({"delete", "secret", "ngx-tamper", "-n", "default"}).exitCode, 0);
  const std::string replacement = activeToken(op_, "ngx-tamper", 2);
  EXPECT_EQ(nginx_->waitStatus("/api/v1/things", token, 401), 401);
  EXPECT_EQ(nginx_->status("/api/v1/things", replacement), 200);

  // Deleted.
  ASSERT_EQ(op_.kubectl({"delete", "servicetoken", "ngx-tamper", "-n", "default"}).exitCode, 0);
  EXPECT_EQ(nginx_->waitStatus("/api/v1/things", replacement, 401), 401);
}

TEST_F(NginxAuthRequest, TheOldTokenWorksDuringGraceThenGets401AndExpiredTokensToo) {
  const std::string old = userWithToken("ngx-grace", "  rotation: {gracePeriod: 1h}\n");
  op_.apply(serviceUser("ngx-expire", "ngx-expire user"));
  op_.apply(serviceToken("ngx-expire", "ngx-expire", "ngx-expire token",
                         "  rotation: {policy: Disabled}\n"));
  const std::string expiring = activeToken(op_, "ngx-expire");
  ASSERT_EQ(op_.kubectl({"annotate", "servicetoken", "ngx-grace", "-n", "default",
                         "servicetoken.dev/rotate=now-1"})
                .exitCode,
            0);
  const std::string next = activeToken(op_, "ngx-grace", 2);
  EXPECT_EQ(nginx_->status("/api/v1/things", old), 200);
  EXPECT_EQ(nginx_->status("/api/v1/things", next), 200);
  EXPECT_EQ(nginx_->status("/api/v1/things", expiring), 200);

  op_.advance(hours(1) + minutes(1));
  EXPECT_EQ(nginx_->waitStatus("/api/v1/things", old, 401), 401);
  EXPECT_EQ(nginx_->status("/api/v1/things", next), 200);

  op_.advance(hours(24 * 30));
  EXPECT_EQ(nginx_->waitStatus("/api/v1/things", expiring, 401), 401);
}

}  // namespace
}  // namespace sttest
