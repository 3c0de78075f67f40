// The forward-auth contract: which headers are read, the 200/401/403/503
// answers and their headers, and that the token is never echoed.
#include "verifier/forward_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "verifier_fixture.h"

namespace sttest {
namespace {

using st::verifier::Decision;
using st::verifier::Reason;
using ::testing::HasSubstr;
using ::testing::Not;

class FakeRequest final : public ctrl::HttpServerRequest {
 public:
  std::string methodValue = "GET";
  std::string targetValue = "/v1/authorize";
  std::multimap<std::string, std::string> headers;  // lowercase names
  std::string_view method() const override { return methodValue; }
  std::string_view target() const override { return targetValue; }
  std::string_view path() const override {
    return std::string_view(targetValue).substr(0, targetValue.find('?'));
  }
  std::string_view header(std::string_view name) const override {
    auto it = headers.find(lower(name));
    return it == headers.end() ? std::string_view() : std::string_view(it->second);
  }
  size_t headerCount(std::string_view name) const override { return headers.count(lower(name)); }
  std::string_view body() const override { return {}; }

 private:
  static std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
  }
};

std::string headerOf(const ctrl::HttpServerResponse& r, const std::string& name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

class ForwardAuth : public VerifierFixture {
 protected:
  ForwardAuth() : authenticator_(view_, options(), clock_) {}
  st::verifier::AuthenticatorOptions options() {
    st::verifier::AuthenticatorOptions o;
    o.claims = policy_;
    return o;
  }
  Decision decide(const FakeRequest& r) {
    return st::verifier::decideForwardAuth(st::verifier::forwardAuthInput(r), authenticator_);
  }
  static FakeRequest request(const std::string& token, const std::string& uri) {
    FakeRequest r;
    r.headers.emplace("authorization", "Bearer " + token);
    r.headers.emplace("x-original-uri", uri);
    return r;
  }
  st::verifier::Authenticator authenticator_;
};

TEST_F(ForwardAuth, ReadsTheOriginalUriFromEitherConventionOrThePathSuffix) {
  FakeRequest r;
  r.headers.emplace("x-original-uri", "/a");
  r.headers.emplace("x-forwarded-uri", "/b");
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalUri, "/a");
  r.headers.erase("x-original-uri");
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalUri, "/b");
  r.headers.clear();
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalUri, std::nullopt);
  r.targetValue = "/v1/authorize/scim/v2/Users?x=1";
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalUri, "/scim/v2/Users?x=1");
  r.targetValue = "/v1/authorizeX";
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalUri, std::nullopt);
  r.headers.emplace("x-forwarded-method", "DELETE");
  EXPECT_EQ(st::verifier::forwardAuthInput(r).originalMethod, "DELETE");
}

TEST_F(ForwardAuth, AnApiTokenGets200WithTheIdentityHeadersAndNoToken) {
  Minted m = activeToken();
  Decision d = decide(request(m.value, "/api/v1/things"));
  ASSERT_EQ(d.reason, Reason::kAllowed);
  auto r = st::verifier::forwardAuthResponse(d);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(headerOf(r, "X-Auth-Request-User"), kUserId);
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Email"), "pipeline@example.com");
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Role"), "Admin");
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Teams"), "data,platform");
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Scope"), "api");
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Token-Id"), m.claims.tokenId);
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Token-Name"), "Pipeline Automation");
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Token-Type"), "service");
  for (const auto& [name, value] : r.headers) {
    EXPECT_EQ(value.find(m.value), std::string::npos) << name;
  }
  EXPECT_EQ(r.body.find(m.value), std::string::npos);
}

TEST_F(ForwardAuth, AScimTokenReachesScimAndGets403ElsewhereWithTheChallenge) {
  Minted m = activeToken(st::TokenScope::kScim);
  EXPECT_EQ(decide(request(m.value, "/scim/v2/Users")).reason, Reason::kAllowed);
  Decision d = decide(request(m.value, "/scim/v2/../api/x"));
  ASSERT_EQ(d.reason, Reason::kInsufficientScope);
  auto r = st::verifier::forwardAuthResponse(d);
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(headerOf(r, "WWW-Authenticate"), HasSubstr("error=\"insufficient_scope\""));
  EXPECT_THAT(headerOf(r, "WWW-Authenticate"), ::testing::StartsWith("Bearer "));
}

TEST_F(ForwardAuth, RefusalsAre401WithTheRfc6750Challenge) {
  Minted m = activeToken();
  FakeRequest none;
  auto missing = st::verifier::forwardAuthResponse(decide(none));
  EXPECT_EQ(missing.status, 401);
  EXPECT_EQ(headerOf(missing, "WWW-Authenticate"), "Bearer realm=\"servicetoken\"");

  FakeRequest twice = request(m.value, "/api");
  twice.headers.emplace("authorization", "Bearer other");
  Decision d = decide(twice);
  EXPECT_EQ(d.reason, Reason::kMalformedHeader);
  EXPECT_THAT(headerOf(st::verifier::forwardAuthResponse(d), "WWW-Authenticate"),
              HasSubstr("error=\"invalid_request\""));

  std::string tampered = m.value;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  d = decide(request(tampered, "/api"));
  auto r = st::verifier::forwardAuthResponse(d);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(headerOf(r, "WWW-Authenticate"), HasSubstr("error=\"invalid_token\""));
  EXPECT_THAT(r.body, Not(HasSubstr(tampered)));
}

TEST_F(ForwardAuth, BeforeTheCachesSyncTheAnswerIs503) {
  Minted m = activeToken();
  view_.isSynced = false;
  auto r = st::verifier::forwardAuthResponse(decide(request(m.value, "/api")));
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(headerOf(r, "Retry-After"), "1");
}

TEST_F(ForwardAuth, HeaderValuesCannotCarryLineBreaks) {
  Minted m = activeToken();
  st::verifier::UserRecord u = *view_.users.at("default/pipeline");
  u.teams = {"evil\r\nSet-Cookie: x=1"};
  view_.put(u);
  auto r = st::verifier::forwardAuthResponse(decide(request(m.value, "/api")));
  EXPECT_EQ(headerOf(r, "X-Auth-Request-Teams"), "evil  Set-Cookie: x=1");
}

}  // namespace
}  // namespace sttest
