// Error answers from the API server (real Status bodies, as kube-apiserver
// writes them) map to ctrl::Code with the server's message; nothing else of a
// body ever reaches a message.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"

namespace sttest {
namespace {

using ctrl::Code;
using ctrl::Json;
using ::testing::HasSubstr;
using ::testing::Not;

struct ErrorCase {
  const char* name;
  int httpStatus;
  std::string body;
  Code want;
  std::string wantMessage;  // substring
};

std::string statusBody(int code, const std::string& reason, const std::string& message,
                       Json details = Json::object()) {
  Json status = {{"kind", "Status"},    {"apiVersion", "v1"}, {"metadata", Json::object()},
                 {"status", "Failure"}, {"message", message}, {"reason", reason},
                 {"code", code}};
  if (!details.empty()) status["details"] = details;
  return status.dump();
}

std::vector<ErrorCase> errorCases() {
  const std::string invalidMessage =
      "ConfigMap \"Bad_Name\" is invalid: metadata.name: Invalid value: \"Bad_Name\": a lowercase "
      "RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.'";
  return {
      {"NotFound", 404,
       statusBody(404, "NotFound", "configmaps \"missing\" not found",
                  {{"name", "missing"}, {"kind", "configmaps"}}),
       Code::kNotFound, "configmaps \"missing\" not found"},
      {"AlreadyExists", 409,
       statusBody(409, "AlreadyExists", "configmaps \"cm1\" already exists",
                  {{"name", "cm1"}, {"kind", "configmaps"}}),
       Code::kAlreadyExists, "already exists"},
      {"Conflict", 409,
       statusBody(409, "Conflict",
                  "Operation cannot be fulfilled on configmaps \"cm1\": the object has been "
                  "modified; please apply your changes to the latest version and try again",
                  {{"name", "cm1"}, {"kind", "configmaps"}}),
       Code::kConflict, "the object has been modified"},
      {"Conflict without reason", 409, statusBody(409, "", "precondition failed"), Code::kConflict,
       "precondition failed"},
      {"Expired continue", 410,
       statusBody(410, "Expired",
                  "The provided continue parameter is too old to display a consistent list "
                  "result."),
       Code::kGone, "too old"},
      {"Gone", 410, statusBody(410, "Gone", "too old resource version: 5 (90)"), Code::kGone,
       "too old resource version"},
      {"Unauthorized", 401, statusBody(401, "Unauthorized", "Unauthorized"), Code::kUnauthorized,
       "Unauthorized"},
      {"Forbidden", 403,
       statusBody(403, "Forbidden",
                  "secrets \"s\" is forbidden: User \"system:serviceaccount:default:sa\" cannot "
                  "get resource \"secrets\" in API group \"\" in the namespace \"default\""),
       Code::kForbidden, "cannot get resource \"secrets\""},
      {"Invalid", 422,
       statusBody(422, "Invalid", invalidMessage,
                  {{"name", "Bad_Name"},
                   {"kind", "ConfigMap"},
                   {"causes", {{{"reason", "FieldValueInvalid"}, {"field", "metadata.name"}}}}}),
       Code::kInvalid, "metadata.name: Invalid value"},
      {"TooManyRequests plain text", 429, "Too many requests, please try again later.\n",
       Code::kTooManyRequests, "HTTP 429"},
      {"TooManyRequests Status", 429,
       statusBody(429, "TooManyRequests", "storage is (re)initializing",
                  {{"retryAfterSeconds", 1}}),
       Code::kTooManyRequests, "storage is (re)initializing"},
      {"InternalError", 500,
       statusBody(500, "InternalError", "Internal error occurred: etcdserver: leader changed"),
       Code::kUnavailable, "leader changed"},
      {"ServiceUnavailable plain", 503, "service unavailable\n", Code::kUnavailable, "HTTP 503"},
      {"Gateway timeout", 504,
       statusBody(504, "Timeout",
                  "Timeout: request did not complete within requested timeout - context "
                  "deadline exceeded"),
       Code::kTimeout, "request did not complete"},
      {"BadRequest", 400, statusBody(400, "BadRequest", "the server rejected our request"),
       Code::kInvalidArgument, "rejected our request"},
      {"UnsupportedMediaType", 415,
       statusBody(415, "UnsupportedMediaType",
                  "the body of the request was in an unknown format - accepted media types "
                  "include: application/json-patch+json, application/merge-patch+json"),
       Code::kInvalidArgument, "unknown format"},
      {"HTML from a proxy", 502, "<html><body>Bad gateway</body></html>", Code::kUnavailable,
       "HTTP 502"},
  };
}

class ErrorMappingTest : public ::testing::TestWithParam<ErrorCase> {};

// Through create() with a single attempt (a write is retried only on 429),
// so one scripted answer suffices.
TEST_P(ErrorMappingTest, MapsCodeAndKeepsServerMessage) {
  const ErrorCase& c = GetParam();
  JumpClock clock;
  ctrl::ClientOptions options;
  options.maxReadAttempts = 1;
  auto tc = makeTestClient(clock, {}, options);
  tc.fake->pushResponse(c.httpStatus, c.body);
  auto got = tc.client->create(ctrl::resources::configMap(), "ns",
                               Json::parse(R"({"metadata":{"name":"cm1"}})"));
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), c.want) << got.status().toString();
  EXPECT_THAT(got.status().message(), HasSubstr(c.wantMessage));
  EXPECT_EQ(tc.fake->requestCount(), 1u);
}

INSTANTIATE_TEST_SUITE_P(StatusBodies, ErrorMappingTest, ::testing::ValuesIn(errorCases()),
                         [](const ::testing::TestParamInfo<ErrorCase>& param) {
                           std::string name;
                           for (char ch : std::string(param.param.name)) {
                             if (std::isalnum(static_cast<unsigned char>(ch))) name += ch;
                           }
                           return name;
                         });

TEST(ErrorMessagesTest, NonStatusBodyIsNeverEchoed) {
  JumpClock clock;
  auto tc = makeTestClient(clock);
  // A misbehaving proxy echoing the request, secret included.
  const std::string secretObject =
      R"({"metadata":{"name":"s"},"data":{"token":"c2VjcmV0LXRva2Vu"}})";
  tc.fake->pushResponse(400, secretObject);
  auto got = tc.client->create(ctrl::resources::secret(), "ns", Json::parse(secretObject));
  ASSERT_FALSE(got.isOk());
  EXPECT_EQ(got.status().code(), Code::kInvalidArgument);
  EXPECT_THAT(got.status().message(), Not(HasSubstr("c2VjcmV0LXRva2Vu")));
  EXPECT_THAT(got.status().message(), Not(HasSubstr("token")));
}

TEST(ErrorMessagesTest, OverlongServerMessageIsTruncated) {
  JumpClock clock;
  auto tc = makeTestClient(clock);
  tc.fake->pushResponse(422, statusBody(422, "Invalid", std::string(100000, 'x')));
  auto got = tc.client->create(ctrl::resources::configMap(), "ns", Json::parse("{}"));
  EXPECT_EQ(got.status().code(), Code::kInvalid);
  EXPECT_LT(got.status().message().size(), 2000u);
}

TEST(ErrorMessagesTest, TransportErrorsPassThrough) {
  JumpClock clock;
  auto tc = makeTestClient(clock);
  tc.fake->pushError(ctrl::Status(Code::kTimeout, "request timed out"));
  auto got = tc.client->create(ctrl::resources::configMap(), "ns", Json::parse("{}"));
  EXPECT_EQ(got.status().code(), Code::kTimeout);
}

TEST(ErrorMessagesTest, MalformedSuccessBodyIsInternalWithoutContent) {
  JumpClock clock;
  auto tc = makeTestClient(clock);
  tc.fake->pushResponse(200, R"({"metadata":{"name":"leaked-value")");
  auto got = tc.client->get(ctrl::resources::configMap(), "ns", "cm1");
  EXPECT_EQ(got.status().code(), Code::kInternal);
  EXPECT_THAT(got.status().message(), Not(HasSubstr("leaked-value")));
}

TEST(ErrorMessagesTest, RemoveMapsErrorsToo) {
  JumpClock clock;
  auto tc = makeTestClient(clock);
  tc.fake->pushResponse(404, statusBody(404, "NotFound", "secrets \"s1\" not found"));
  EXPECT_EQ(tc.client->remove(ctrl::resources::secret(), "ns", "s1").code(), Code::kNotFound);
  tc.fake->pushResponse(409,
                        statusBody(409, "Conflict", "Precondition failed: UID in precondition"));
  EXPECT_EQ(tc.client->remove(ctrl::resources::secret(), "ns", "s1").code(), Code::kConflict);
}

}  // namespace
}  // namespace sttest
