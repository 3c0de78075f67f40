// Decoding watch streams: every event type in order, ERROR events handed to the
// caller, limits on one event, refusals before streaming, stopping.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

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
using ctrl::WatchEventType;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

struct Seen {
  WatchEventType type;
  Json object;
};

class WatchTest : public ::testing::Test {
 protected:
  ctrl::Status watch(ctrl::WatchOptions options = {}, size_t stopAfter = SIZE_MAX) {
    return tc_.client->watch(ctrl::resources::configMap(), "ns", options,
                             [&](const ctrl::WatchEvent& e) {
                               seen_.push_back({e.type, *e.object});
                               return seen_.size() < stopAfter;
                             },
                             {});
  }
  std::vector<WatchEventType> types() const {
    std::vector<WatchEventType> out;
    for (const auto& s : seen_) out.push_back(s.type);
    return out;
  }

  JumpClock clock_;
  TestClient tc_ = makeTestClient(clock_);
  std::vector<Seen> seen_;
};

const char* kAdded = R"({"type":"ADDED","object":{"metadata":{"name":"a","resourceVersion":"1"}}})";
const char* kModified =
    R"({"type":"MODIFIED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"2"}}})";
const char* kBookmark =
    R"({"type":"BOOKMARK","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"resourceVersion":"3"}}})";
const char* kDeleted =
    R"({"type":"DELETED","object":{"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"4"}}})";
const char* kError410 =
    R"j({"type":"ERROR","object":{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"too old resource version: 1 (5)","reason":"Expired","code":410}})j";

TEST_F(WatchTest, DeliversEveryTypeInOrderAndEndsOkWhenTheServerCloses) {
  tc_.fake->pushStream({kAdded, kModified, "", kBookmark, kDeleted, kError410});
  auto status = watch();
  ASSERT_TRUE(status.isOk()) << status.toString();
  EXPECT_THAT(types(), ElementsAre(WatchEventType::kAdded, WatchEventType::kModified,
                                   WatchEventType::kBookmark, WatchEventType::kDeleted,
                                   WatchEventType::kError));
  EXPECT_EQ(seen_[0].object["metadata"]["name"], "a");
  EXPECT_EQ(seen_[2].object["metadata"]["resourceVersion"], "3");
  EXPECT_EQ(seen_[3].object["metadata"]["resourceVersion"], "4");
}

TEST_F(WatchTest, ObjectsWithoutTypeMetaGetItFromTheResource) {
  tc_.fake->pushStream({kAdded});
  ASSERT_TRUE(watch().isOk());
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].object["kind"], "ConfigMap");
  EXPECT_EQ(seen_[0].object["apiVersion"], "v1");
}

TEST_F(WatchTest, ErrorEventCarriesTheStatusObjectUnchanged) {
  tc_.fake->pushStream({kError410});
  ASSERT_TRUE(watch().isOk());
  ASSERT_EQ(seen_.size(), 1u);
  EXPECT_EQ(seen_[0].type, WatchEventType::kError);
  EXPECT_EQ(seen_[0].object["kind"], "Status");
  EXPECT_EQ(seen_[0].object["code"], 410);
  EXPECT_EQ(seen_[0].object["reason"], "Expired");
}

TEST_F(WatchTest, HandlerReturningFalseStopsWithCancelled) {
  tc_.fake->pushStream({kAdded, kModified, kDeleted});
  auto status = watch({}, /*stopAfter=*/2);
  EXPECT_EQ(status.code(), Code::kCancelled);
  EXPECT_EQ(seen_.size(), 2u);
}

TEST_F(WatchTest, EventOverTheSizeLimitEndsTheWatch) {
  const std::string big = R"({"type":"ADDED","object":{"metadata":{"name":"big"},"data":{"k":")" +
                          std::string(2000, 'x') + R"("}}})";
  tc_.fake->pushStream({kAdded, big, kDeleted});
  ctrl::WatchOptions options;
  options.maxEventBytes = 1024;
  auto status = watch(options);
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_THAT(status.message(), Not(HasSubstr("xxxx")));
  EXPECT_THAT(types(), ElementsAre(WatchEventType::kAdded));  // nothing after the bad line
}

TEST_F(WatchTest, EventExactlyAtTheSizeLimitIsAccepted) {
  ctrl::WatchOptions options;
  options.maxEventBytes = std::string(kAdded).size();
  tc_.fake->pushStream({kAdded});
  EXPECT_TRUE(watch(options).isOk());
  EXPECT_EQ(seen_.size(), 1u);
}

TEST_F(WatchTest, InvalidJsonLineEndsTheWatchWithoutQuotingIt) {
  tc_.fake->pushStream({R"({"type":"ADDED","object":{"secret-ish")"});
  auto status = watch();
  EXPECT_EQ(status.code(), Code::kInvalidArgument);
  EXPECT_THAT(status.message(), Not(HasSubstr("secret-ish")));
  EXPECT_TRUE(seen_.empty());
}

TEST_F(WatchTest, UnknownEventShapeIsInternal) {
  tc_.fake->pushStream({R"({"type":"SURPRISE","object":{}})"});
  EXPECT_EQ(watch().code(), Code::kInternal);
  tc_.fake->pushStream({R"({"type":"ADDED"})"});
  EXPECT_EQ(watch().code(), Code::kInternal);
  EXPECT_TRUE(seen_.empty());
}

TEST_F(WatchTest, GoneBeforeStreamingMapsToGone) {
  tc_.fake->pushStream(
      {},
      ctrl::HttpResponse{
          410,
          R"j({"kind":"Status","apiVersion":"v1","status":"Failure","message":"too old resource version: 1 (7)","reason":"Expired","code":410})j",
          {}});
  auto status = watch();
  EXPECT_EQ(status.code(), Code::kGone);
  EXPECT_THAT(status.message(), HasSubstr("too old resource version"));
  EXPECT_TRUE(seen_.empty());
}

TEST_F(WatchTest, ForbiddenBeforeStreamingMapsToForbidden) {
  tc_.fake->pushStream(
      {},
      ctrl::HttpResponse{
          403,
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"configmaps is forbidden","reason":"Forbidden","code":403})",
          {}});
  EXPECT_EQ(watch().code(), Code::kForbidden);
}

TEST_F(WatchTest, BrokenStreamReturnsTheTransportError) {
  tc_.fake->pushStream({kAdded}, ctrl::Status(Code::kUnavailable, "connection reset"));
  EXPECT_EQ(watch().code(), Code::kUnavailable);
  EXPECT_EQ(seen_.size(), 1u);
}

TEST_F(WatchTest, RequestedStopIsCancelled) {
  tc_.fake->pushStream({kAdded, kModified});
  std::stop_source stop;
  stop.request_stop();
  auto status = tc_.client->watch(
      ctrl::resources::configMap(), "ns", {}, [&](const ctrl::WatchEvent&) { return true; },
      stop.get_token());
  EXPECT_EQ(status.code(), Code::kCancelled);
}

// 429 with Retry-After before streaming ("storage is (re)initializing" for a
// just-created resource) is sent again after that delay, as client-go does.
TEST_F(WatchTest, TooManyRequestsWithRetryAfterIsSentAgainAfterTheDelay) {
  tc_.fake->pushStream(
      {},
      ctrl::HttpResponse{
          429,
          R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"storage is (re)initializing","reason":"TooManyRequests","code":429})",
          {{"Retry-After", "1"}}});
  tc_.fake->pushStream({kAdded});
  const auto before = clock_.now();
  EXPECT_TRUE(watch().isOk());
  EXPECT_EQ(tc_.fake->requestCount(), 2u);
  EXPECT_EQ(seen_.size(), 1u);
  EXPECT_GE(clock_.now() - before, std::chrono::seconds(1)) << "sent again before Retry-After";
}

TEST_F(WatchTest, WatchIsNotRetried) {
  tc_.fake->pushStream({}, ctrl::HttpResponse{503, "unavailable", {}});
  EXPECT_EQ(watch().code(), Code::kUnavailable);
  EXPECT_EQ(tc_.fake->requestCount(), 1u);
}

// ClientOptions::dropManagedFields: objects from reads, writes and watches
// come without metadata.managedFields; by default they come as sent.
TEST(ManagedFieldsOptionTest, DroppedFromEveryObjectOnlyWhenAsked) {
  const std::string object =
      R"({"kind":"ConfigMap","apiVersion":"v1","metadata":{"name":"a","resourceVersion":"1",)"
      R"("managedFields":[{"manager":"kubectl","fieldsV1":{"f:data":{}}}]},"data":{"k":"v"}})";
  for (const bool drop : {false, true}) {
    JumpClock clock;
    ctrl::ClientOptions options;
    options.dropManagedFields = drop;
    TestClient tc = makeTestClient(clock, {}, options);
    tc.fake->pushResponse(200, object);
    tc.fake->pushResponse(201, object);
    tc.fake->pushStream({R"({"type":"ADDED","object":)" + object + "}"});

    auto got = tc.client->get(ctrl::resources::configMap(), "ns", "a");
    ASSERT_TRUE(got.isOk()) << got.status().toString();
    EXPECT_EQ((*got)["metadata"].contains("managedFields"), !drop);
    EXPECT_EQ((*got)["data"]["k"], "v");
    auto created = tc.client->create(ctrl::resources::configMap(), "ns", Json::parse(object));
    ASSERT_TRUE(created.isOk()) << created.status().toString();
    EXPECT_EQ((*created)["metadata"].contains("managedFields"), !drop);
    std::vector<Json> events;
    auto watched = tc.client->watch(ctrl::resources::configMap(), "ns", {},
                                    [&](const ctrl::WatchEvent& e) {
                                      events.push_back(*e.object);
                                      return true;
                                    },
                                    {});
    ASSERT_TRUE(watched.isOk()) << watched.toString();
    ASSERT_EQ(events.size(), 1u);
    EXPECT_EQ(events[0]["metadata"].contains("managedFields"), !drop);
    EXPECT_EQ(events[0]["metadata"]["name"], "a");
  }
}

}  // namespace
}  // namespace sttest
