// Retries: idempotent reads on Unavailable/TooManyRequests, writes only on
// 429 (refused before being executed), after the server's Retry-After or a
// doubling backoff (on the injected clock), bounded; other failed writes and
// watches are never retried.
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"

namespace sttest {
namespace {

using ctrl::Code;
using ctrl::Json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kUnavailable503 =
    R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"the server is currently unable to handle the request","reason":"ServiceUnavailable","code":503})";
constexpr const char* kCm = R"({"kind":"ConfigMap","metadata":{"name":"cm"}})";

class RetryTest : public ::testing::Test {
 protected:
  RetryTest() {
    options_.maxReadAttempts = 4;
    options_.retryBaseDelay = milliseconds(100);
    options_.maxRetryDelay = seconds(20);
  }
  TestClient client() { return makeTestClient(clock_, {}, options_); }

  JumpClock clock_;
  ctrl::ClientOptions options_;
};

TEST_F(RetryTest, GetIsRetriedOn503WithBackoff) {
  auto tc = client();
  tc.fake->pushResponse(503, kUnavailable503);
  tc.fake->pushResponse(503, kUnavailable503);
  tc.fake->pushResponse(200, kCm);
  auto got = tc.client->get(ctrl::resources::configMap(), "ns", "cm");
  ASSERT_TRUE(got.isOk()) << got.status().toString();
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[1].at - requests[0].at, milliseconds(100));
  EXPECT_EQ(requests[2].at - requests[1].at, milliseconds(200));  // doubled
}

TEST_F(RetryTest, ListIsRetriedOnConnectionFailure) {
  auto tc = client();
  tc.fake->pushError(ctrl::Status(Code::kUnavailable, "connection refused"));
  tc.fake->pushResponse(200, R"({"kind":"ConfigMapList","metadata":{},"items":[]})");
  EXPECT_TRUE(tc.client->list(ctrl::resources::configMap(), "ns", {}).isOk());
  EXPECT_EQ(tc.fake->requestCount(), 2u);
}

TEST_F(RetryTest, PostIsNeverRetried) {
  auto tc = client();
  tc.fake->pushResponse(503, kUnavailable503);
  tc.fake->pushResponse(201, kCm);
  auto got = tc.client->create(ctrl::resources::configMap(), "ns", Json::parse(kCm));
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_EQ(tc.fake->requestCount(), 1u);
}

// API Priority and Fairness (and the max-in-flight filter) answer 429
// before executing anything: a write refused that way is safe to send again,
// after the server's Retry-After, within the same attempt budget as reads.
TEST_F(RetryTest, WritesRefusedWith429AreRetriedAfterRetryAfter) {
  auto tc = client();
  tc.fake->pushResponse(429, "Too many requests, please try again later.\n",
                        {{"Retry-After", "2"}});
  tc.fake->pushResponse(201, kCm);
  auto created = tc.client->create(ctrl::resources::configMap(), "ns", Json::parse(kCm));
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].at - requests[0].at, seconds(2));
  EXPECT_EQ(requests[1].request.body, requests[0].request.body);

  for (int i = 0; i < 10; ++i) tc.fake->pushResponse(429, "Too many requests\n");
  EXPECT_EQ(
      tc.client
          ->patch(ctrl::resources::configMap(), "ns", "cm", ctrl::PatchType::kMerge, Json::object())
          .status()
          .code(),
      Code::kTooManyRequests);
  EXPECT_EQ(tc.fake->requestCount(), 2u + 4u) << "bounded by maxReadAttempts";
}

TEST_F(RetryTest, OtherWritesAreNeverRetried) {
  auto tc = client();
  tc.fake->pushResponse(503, kUnavailable503, {{"Retry-After", "1"}});
  EXPECT_EQ(tc.client->update(ctrl::resources::configMap(), "ns", Json::parse(kCm)).status().code(),
            Code::kUnavailable);
  tc.fake->pushError(ctrl::Status(Code::kUnavailable, "connection reset"));
  EXPECT_EQ(
      tc.client
          ->patch(ctrl::resources::configMap(), "ns", "cm", ctrl::PatchType::kMerge, Json::object())
          .status()
          .code(),
      Code::kUnavailable);
  tc.fake->pushResponse(503, kUnavailable503);
  EXPECT_EQ(tc.client->remove(ctrl::resources::configMap(), "ns", "cm").code(), Code::kUnavailable);
  EXPECT_EQ(tc.fake->requestCount(), 3u);
}

TEST_F(RetryTest, RetryAfterHeaderIsHonoured) {
  auto tc = client();
  tc.fake->pushResponse(429, "Too many requests, please try again later.\n",
                        {{"retry-after", "7"}});
  tc.fake->pushResponse(200, kCm);
  ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].at - requests[0].at, seconds(7));
}

TEST_F(RetryTest, RetryAfterSecondsInTheStatusBodyIsHonoured) {
  auto tc = client();
  tc.fake->pushResponse(
      429,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","details":{"retryAfterSeconds":3},"code":429})");
  tc.fake->pushResponse(200, kCm);
  ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].at - requests[0].at, seconds(3));
}

TEST_F(RetryTest, RetryAfterIsCappedByMaxRetryDelay) {
  auto tc = client();
  tc.fake->pushResponse(503, kUnavailable503, {{"Retry-After", "3600"}});
  tc.fake->pushResponse(200, kCm);
  ASSERT_TRUE(tc.client->get(ctrl::resources::configMap(), "ns", "cm").isOk());
  auto requests = tc.fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[1].at - requests[0].at, seconds(20));
}

TEST_F(RetryTest, AttemptsAreBoundedAndTheLastErrorIsReturned) {
  auto tc = client();
  for (int i = 0; i < 10; ++i) tc.fake->pushResponse(503, kUnavailable503);
  auto got = tc.client->get(ctrl::resources::configMap(), "ns", "cm");
  EXPECT_EQ(got.status().code(), Code::kUnavailable);
  EXPECT_EQ(tc.fake->requestCount(), 4u);
}

TEST_F(RetryTest, NonRetryableReadErrorsAreNotRetried) {
  auto tc = client();
  tc.fake->pushResponse(
      404,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps \"cm\" not found","reason":"NotFound","code":404})");
  tc.fake->pushResponse(
      504,
      R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"Timeout: request did not complete within requested timeout","reason":"Timeout","code":504})");
  EXPECT_EQ(tc.client->get(ctrl::resources::configMap(), "ns", "cm").status().code(),
            Code::kNotFound);
  EXPECT_EQ(tc.client->get(ctrl::resources::configMap(), "ns", "cm").status().code(),
            Code::kTimeout);
  EXPECT_EQ(tc.fake->requestCount(), 2u);
}

}  // namespace
}  // namespace sttest
