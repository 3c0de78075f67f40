// The delegating authorizer behind /metrics (TokenReview, then
// SubjectAccessReview, cached briefly by a digest of the token) and the
// endpoint that runs it off the HTTP server's threads, against a scripted
// API (the real API server is in tests/integration/metrics).
#include "controller/metrics_auth.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <future>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "fake_clock.h"
#include "mocks/eventually.h"
#include "mocks/gate.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

// Answers TokenReviews from a token -> user table and SubjectAccessReviews
// from a set of allowed users; records every request.
class ReviewApi final : public ctrl::Writer {
 public:
  std::map<std::string, std::string> users;  // token -> username
  std::set<std::string> allowed;             // usernames granted the URL
  ctrl::Status failWith;                     // non-OK: every review fails so
  std::function<void()> beforeReview;        // e.g. block on a gate

  int tokenReviews() const { return tokenReviews_; }
  int accessReviews() const { return accessReviews_; }
  ctrl::Json lastAccessReview() const {
    std::lock_guard lock(mu_);
    return lastAccessReview_;
  }

  ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions&,
                                    const ctrl::CallOptions&) override {
    if (beforeReview) beforeReview();
    EXPECT_EQ(ns, "");
    EXPECT_FALSE(r.namespaced);
    if (!failWith.isOk()) return failWith;
    ctrl::Json out = object;
    if (r.plural == "tokenreviews") {
      ++tokenReviews_;
      EXPECT_EQ(r.group, "authentication.k8s.io");
      const std::string token = object["spec"]["token"];
      auto it = users.find(token);
      out["status"] = {{"authenticated", it != users.end()}};
      if (it != users.end()) {
        out["status"]["user"] = {{"username", it->second},
                                 {"uid", "uid-" + it->second},
                                 {"groups", {"system:authenticated"}}};
      }
      return out;
    }
    if (r.plural == "subjectaccessreviews") {
      ++accessReviews_;
      EXPECT_EQ(r.group, "authorization.k8s.io");
      {
        std::lock_guard lock(mu_);
        lastAccessReview_ = object;
      }
      out["status"] = {{"allowed", allowed.count(object["spec"]["user"]) > 0}};
      return out;
    }
    return ctrl::errorStatus(ctrl::Code::kNotFound, "no such resource " + r.plural);
  }
  ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource&, std::string_view,
                                               std::string_view, std::string_view,
                                               const ctrl::Json&,
                                               const ctrl::CallOptions&) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "unexpected");
  }
  ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource&, std::string_view, const ctrl::Json&,
                                    const ctrl::WriteOptions&, const ctrl::CallOptions&) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "unexpected");
  }
  ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource&, std::string_view,
                                          const ctrl::Json&, const ctrl::CallOptions&) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "unexpected");
  }
  ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource&, std::string_view, std::string_view,
                                   ctrl::PatchType, const ctrl::Json&, const ctrl::PatchOptions&,
                                   const ctrl::CallOptions&) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "unexpected");
  }
  ctrl::Status remove(const ctrl::Resource&, std::string_view, std::string_view,
                      const ctrl::DeleteOptions&, const ctrl::CallOptions&) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "unexpected");
  }

 private:
  std::atomic<int> tokenReviews_{0};
  std::atomic<int> accessReviews_{0};
  mutable std::mutex mu_;
  ctrl::Json lastAccessReview_;
};

constexpr const char* kReaderToken = "reader-token-value";
constexpr const char* kOtherToken = "other-token-value";

class DelegatingAuthorizerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_.users = {{kReaderToken, "system:serviceaccount:mon:prometheus"},
                  {kOtherToken, "system:serviceaccount:apps:web"}};
    api_.allowed = {"system:serviceaccount:mon:prometheus"};
  }
  ctrl::StatusOr<ctrl::AccessReview> authorize(const std::string& header,
                                               const std::string& path = "/metrics") {
    return authorizer_->authorize(header, "get", path);
  }

  ReviewApi api_;
  sttest::FakeClock clock_;
  std::unique_ptr<ctrl::RequestAuthorizer> authorizer_ =
      ctrl::makeDelegatingAuthorizer(api_, clock_);
};

TEST_F(DelegatingAuthorizerTest, AllowedCallerIsAllowedWithItsUserName) {
  auto review = authorize(std::string("Bearer ") + kReaderToken);
  ASSERT_TRUE(review.isOk()) << review.status().toString();
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kAllowed);
  EXPECT_EQ(review->user, "system:serviceaccount:mon:prometheus");
  // The SubjectAccessReview asks about the non-resource URL, for the user the
  // TokenReview named, with its uid and groups.
  const ctrl::Json sar = api_.lastAccessReview();
  EXPECT_EQ(sar["spec"]["nonResourceAttributes"]["path"], "/metrics");
  EXPECT_EQ(sar["spec"]["nonResourceAttributes"]["verb"], "get");
  EXPECT_EQ(sar["spec"]["user"], "system:serviceaccount:mon:prometheus");
  EXPECT_EQ(sar["spec"]["uid"], "uid-system:serviceaccount:mon:prometheus");
  EXPECT_EQ(sar["spec"]["groups"], ctrl::Json::array({"system:authenticated"}));
  EXPECT_FALSE(sar["spec"].contains("resourceAttributes"));
}

TEST_F(DelegatingAuthorizerTest, AuthenticatedCallerWithoutTheGrantIsForbidden) {
  auto review = authorize(std::string("Bearer ") + kOtherToken);
  ASSERT_TRUE(review.isOk()) << review.status().toString();
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kForbidden);
  EXPECT_EQ(review->user, "system:serviceaccount:apps:web");
}

TEST_F(DelegatingAuthorizerTest, UnknownTokenIsUnauthenticatedWithoutAnAccessReview) {
  auto review = authorize("Bearer not-a-known-token");
  ASSERT_TRUE(review.isOk()) << review.status().toString();
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kUnauthenticated);
  EXPECT_EQ(api_.tokenReviews(), 1);
  EXPECT_EQ(api_.accessReviews(), 0);
}

TEST_F(DelegatingAuthorizerTest, MissingOrMalformedHeaderIsUnauthenticatedWithoutAsking) {
  for (const std::string& header :
       {std::string(""), std::string("Bearer"), std::string("Bearer "), std::string("Basic abc"),
        std::string("Bearerabc"), std::string("Bearer two words"), std::string("Bearer a\tb"),
        "Bearer " + std::string(17 << 10, 'x')}) {
    SCOPED_TRACE(header.substr(0, 20));
    auto review = authorize(header);
    ASSERT_TRUE(review.isOk()) << review.status().toString();
    EXPECT_EQ(review->decision, ctrl::AccessDecision::kUnauthenticated);
  }
  EXPECT_EQ(api_.tokenReviews(), 0);
}

TEST_F(DelegatingAuthorizerTest, SchemeIsCaseInsensitiveAndSpacesAreTrimmed) {
  for (const std::string& header :
       {std::string("bearer ") + kReaderToken, std::string("BEARER   ") + kReaderToken + "  "}) {
    auto review = authorize(header);
    ASSERT_TRUE(review.isOk()) << review.status().toString();
    EXPECT_EQ(review->decision, ctrl::AccessDecision::kAllowed) << header.substr(0, 10);
  }
}

TEST_F(DelegatingAuthorizerTest, DecisionsAreCachedForTheTtlThenAskedAgain) {
  const std::string header = std::string("Bearer ") + kReaderToken;
  ASSERT_TRUE(authorize(header).isOk());
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(authorize(header).isOk());
  EXPECT_EQ(api_.tokenReviews(), 1);
  EXPECT_EQ(api_.accessReviews(), 1);
  // A forbidden answer is cached too (a denied scraper cannot flood the API).
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(authorize(std::string("Bearer ") + kOtherToken).isOk());
  EXPECT_EQ(api_.accessReviews(), 2);

  clock_.advance(9s);
  ASSERT_TRUE(authorize(header).isOk());
  EXPECT_EQ(api_.tokenReviews(), 2) << "still cached before 10 s";
  clock_.advance(1s);
  // The grant was revoked meanwhile: the next review sees it.
  api_.allowed.clear();
  auto review = authorize(header);
  ASSERT_TRUE(review.isOk());
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kForbidden);
  EXPECT_EQ(api_.tokenReviews(), 3);
}

TEST_F(DelegatingAuthorizerTest, CacheIsPerPathAndVerb) {
  const std::string header = std::string("Bearer ") + kReaderToken;
  ASSERT_TRUE(authorize(header, "/metrics").isOk());
  ASSERT_TRUE(authorize(header, "/debug").isOk());
  EXPECT_EQ(api_.accessReviews(), 2);
  ASSERT_TRUE(authorizer_->authorize(header, "list", "/metrics").isOk());
  EXPECT_EQ(api_.accessReviews(), 3);
}

TEST_F(DelegatingAuthorizerTest, ErrorsAreReturnedWithoutTheTokenAndNotCached) {
  api_.failWith = ctrl::errorStatus(ctrl::Code::kUnavailable, "connection refused");
  auto review = authorize(std::string("Bearer ") + kReaderToken);
  ASSERT_FALSE(review.isOk());
  EXPECT_EQ(review.status().code(), ctrl::Code::kUnavailable);
  EXPECT_THAT(review.status().message(), HasSubstr("TokenReview"));
  EXPECT_THAT(review.status().message(), Not(HasSubstr(kReaderToken)));
  api_.failWith = ctrl::Status::ok();
  review = authorize(std::string("Bearer ") + kReaderToken);
  ASSERT_TRUE(review.isOk());
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kAllowed);
}

TEST_F(DelegatingAuthorizerTest, CacheNeverGrowsPastItsBound) {
  ctrl::DelegatingAuthorizerOptions options;
  options.maxCacheEntries = 3;
  auto authorizer = ctrl::makeDelegatingAuthorizer(api_, clock_, options);
  for (int i = 0; i < 10; ++i) {
    api_.users["token-" + std::to_string(i)] = "user-" + std::to_string(i);
    ASSERT_TRUE(
        authorizer->authorize("Bearer token-" + std::to_string(i), "get", "/metrics").isOk());
  }
  EXPECT_EQ(api_.tokenReviews(), 10);
  // The three newest are cached; the oldest were dropped.
  for (int i = 7; i < 10; ++i) {
    ASSERT_TRUE(
        authorizer->authorize("Bearer token-" + std::to_string(i), "get", "/metrics").isOk());
  }
  EXPECT_EQ(api_.tokenReviews(), 10);
  ASSERT_TRUE(authorizer->authorize("Bearer token-0", "get", "/metrics").isOk());
  EXPECT_EQ(api_.tokenReviews(), 11);
}

TEST_F(DelegatingAuthorizerTest, AudiencesArePassedToTheTokenReview) {
  ctrl::DelegatingAuthorizerOptions options;
  options.audiences = {"metrics"};
  struct Capture final : ctrl::Writer {
    ctrl::Json last;
    ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource&, std::string_view, const ctrl::Json& o,
                                      const ctrl::WriteOptions&,
                                      const ctrl::CallOptions&) override {
      last = o;
      return ctrl::Json{{"status", {{"authenticated", false}}}};
    }
    ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource&, std::string_view,
                                                 std::string_view, std::string_view,
                                                 const ctrl::Json&,
                                                 const ctrl::CallOptions&) override {
      return ctrl::Json();
    }
    ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource&, std::string_view, const ctrl::Json&,
                                      const ctrl::WriteOptions&,
                                      const ctrl::CallOptions&) override {
      return ctrl::Json();
    }
    ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource&, std::string_view,
                                            const ctrl::Json&, const ctrl::CallOptions&) override {
      return ctrl::Json();
    }
    ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource&, std::string_view, std::string_view,
                                     ctrl::PatchType, const ctrl::Json&, const ctrl::PatchOptions&,
                                     const ctrl::CallOptions&) override {
      return ctrl::Json();
    }
    ctrl::Status remove(const ctrl::Resource&, std::string_view, std::string_view,
                        const ctrl::DeleteOptions&, const ctrl::CallOptions&) override {
      return ctrl::Status::ok();
    }
  } capture;
  auto authorizer = ctrl::makeDelegatingAuthorizer(capture, clock_, options);
  auto review = authorizer->authorize("Bearer abc", "get", "/metrics");
  ASSERT_TRUE(review.isOk());
  EXPECT_EQ(review->decision, ctrl::AccessDecision::kUnauthenticated);
  EXPECT_EQ(capture.last["spec"]["audiences"], ctrl::Json::array({"metrics"}));
  EXPECT_EQ(capture.last["kind"], "TokenReview");
}

// A scripted authorizer for the endpoint tests.
class ScriptedAuthorizer final : public ctrl::RequestAuthorizer {
 public:
  ctrl::StatusOr<ctrl::AccessReview> result =
      ctrl::AccessReview{ctrl::AccessDecision::kAllowed, "u"};
  std::function<void()> during;
  std::atomic<int> calls{0};
  ctrl::StatusOr<ctrl::AccessReview> authorize(std::string_view, std::string_view,
                                               std::string_view) override {
    ++calls;
    if (during) during();
    return result;
  }
};

ctrl::HttpServerResponse call(const ctrl::AsyncHttpHandler& handler,
                              const std::string& authorization = "Bearer t") {
  auto promise = std::make_shared<std::promise<ctrl::HttpServerResponse>>();
  auto future = promise->get_future();
  handler({"/metrics", authorization},
          [promise](ctrl::HttpServerResponse r) { promise->set_value(std::move(r)); });
  if (future.wait_for(30s) != std::future_status::ready) return {599, "", "no reply"};
  return future.get();
}

ctrl::HttpServerResponse metricsBody(const std::string&) { return {200, "text/plain", "metrics"}; }

TEST(AuthorizedEndpoint, AnswersByDecision) {
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  ctrl::AuthorizedEndpoint endpoint(authorizer, metricsBody);
  auto handler = endpoint.handler();

  ctrl::HttpServerResponse r = call(handler);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "metrics");

  authorizer->result = ctrl::AccessReview{ctrl::AccessDecision::kUnauthenticated, ""};
  r = call(handler);
  EXPECT_EQ(r.status, 401);
  EXPECT_THAT(r.body, Not(HasSubstr("metrics")));

  authorizer->result = ctrl::AccessReview{ctrl::AccessDecision::kForbidden, "alice"};
  r = call(handler);
  EXPECT_EQ(r.status, 403);
  EXPECT_THAT(r.body, HasSubstr("\"alice\" may not get /metrics"));

  authorizer->result = ctrl::errorStatus(ctrl::Code::kUnavailable, "api down");
  r = call(handler);
  EXPECT_EQ(r.status, 500);
  EXPECT_THAT(r.body, Not(HasSubstr("api down")));
}

TEST(AuthorizedEndpoint, RefusesAtOnceWhenTooManyRequestsWait) {
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  sttest::Gate gate;
  authorizer->during = [&] { gate.wait(); };
  ctrl::AuthorizedEndpointOptions options;
  options.workers = 1;
  options.maxQueued = 2;
  auto endpoint = std::make_unique<ctrl::AuthorizedEndpoint>(authorizer, metricsBody, options);
  auto handler = endpoint->handler();

  std::mutex mu;
  std::vector<int> statuses;
  auto record = [&](ctrl::HttpServerResponse r) {
    std::lock_guard lock(mu);
    statuses.push_back(r.status);
  };
  handler({"/metrics", "Bearer t"}, record);  // taken by the worker, blocks on the gate
  ASSERT_TRUE(sttest::eventually([&] { return authorizer->calls.load() == 1; }));
  handler({"/metrics", "Bearer t"}, record);  // queued
  handler({"/metrics", "Bearer t"}, record);  // queued
  handler({"/metrics", "Bearer t"}, record);  // refused
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(statuses, std::vector<int>{503});
  }
  gate.open();
  ASSERT_TRUE(sttest::eventually([&] {
    std::lock_guard lock(mu);
    return statuses.size() == 4;
  }));
  std::lock_guard lock(mu);
  EXPECT_EQ(statuses, (std::vector<int>{503, 200, 200, 200}));
}

TEST(AuthorizedEndpoint, DestructionAnswersWaitingRequestsAndLaterOnes) {
  auto authorizer = std::make_shared<ScriptedAuthorizer>();
  sttest::Gate gate;
  authorizer->during = [&] { gate.wait(); };
  ctrl::AuthorizedEndpointOptions options;
  options.workers = 1;
  auto endpoint = std::make_unique<ctrl::AuthorizedEndpoint>(authorizer, metricsBody, options);
  auto handler = endpoint->handler();
  std::promise<int> first, second;
  handler({"/metrics", "Bearer t"}, [&](ctrl::HttpServerResponse r) { first.set_value(r.status); });
  ASSERT_TRUE(sttest::eventually([&] { return authorizer->calls.load() == 1; }));
  handler({"/metrics", "Bearer t"},
          [&](ctrl::HttpServerResponse r) { second.set_value(r.status); });
  auto secondStatus = second.get_future();
  std::thread opener([&] {
    // The destructor answers the waiting request, then joins the busy
    // worker: let the worker finish once the waiting one was answered.
    secondStatus.wait();
    gate.open();
  });
  endpoint.reset();
  opener.join();
  EXPECT_EQ(first.get_future().get(), 200);
  EXPECT_EQ(secondStatus.get(), 503);
  EXPECT_EQ(call(handler).status, 503);  // the handler outlived the endpoint
}

}  // namespace
