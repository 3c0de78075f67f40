// Edge cases: note truncation, cluster-scoped objects, lost Events, API
// failures, the flush on stop, and option checks.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <string>
#include <vector>

#include "recorder_harness.h"

namespace sttest {
namespace {

TEST_F(RecorderTest, TruncatesNoteToOneKibAtAUtf8Boundary) {
  makeRecorder(options());
  startSender();
  const std::string note = std::string(1023, 'a') + "\xC3\xA9" + std::string(100, 'b');  // é
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", note);
  ASSERT_TRUE(processed(1));
  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["note"], std::string(1023, 'a')) << "é must not be cut in half";
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, ClusterScopedObjectsGetEventsInDefault) {
  makeRecorder(options());
  startSender();
  ctrl::ObjectRef role{"ClusterRole", "rbac.authorization.k8s.io/v1", "", "system:Token", "u", ""};
  recorder_->event(role, ctrl::EventType::kNormal, "Bound", "Bind", "n");
  ASSERT_TRUE(processed(1));
  auto stored = events("default");
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["metadata"]["name"].get<std::string>().rfind("system-token.", 0), 0U)
      << "the name must be a valid DNS subdomain";
  EXPECT_FALSE(stored[0]["regarding"].contains("namespace"));
  EXPECT_FALSE(stored[0]["regarding"].contains("resourceVersion"));
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, RecreatesAnEventTheApiDropped) {
  makeRecorder(options());
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(1));
  auto first = events("team-a");
  ASSERT_EQ(first.size(), 1U);
  ASSERT_TRUE(client_
                  .remove(ctrl::resources::event(), "team-a",
                          first[0]["metadata"]["name"].get<std::string>())
                  .isOk());  // its TTL passed

  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(2));
  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["series"]["count"], 2);
  EXPECT_EQ(stored[0]["reason"], "Issued");
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, CountsApiFailuresAndCarriesOn) {
  makeRecorder(options());
  std::atomic<bool> failing{true};
  client_.setInterceptor([&](std::string_view, const ctrl::Resource&, std::string_view) {
    return failing ? ctrl::Status(ctrl::Code::kForbidden, "events is forbidden")
                   : ctrl::Status::ok();
  });
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(1));
  EXPECT_EQ(recorder_->failed(), 1U);
  failing = false;
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(2));
  EXPECT_EQ(events("team-a").size(), 1U);
  EXPECT_EQ(recorder_->failed(), 1U);
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, StopFlushesPendingSeriesCounts) {
  makeRecorder(options());
  startSender();
  for (int i = 0; i < 5; ++i) {
    recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  }
  ASSERT_TRUE(processed(5));
  EXPECT_TRUE(stop().isOk());
  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["series"]["count"], 5);
}

// A full series cache forgets the series seen least recently (not the
// oldest created): its next occurrence is a new Event, while a series seen
// again lately keeps counting in its own.
TEST_F(RecorderTest, AFullSeriesCacheForgetsTheLeastRecentlySeenSeries) {
  auto o = options();
  o.maxSeries = 2;
  makeRecorder(o);
  startSender();
  recordIssued("a");
  recordIssued("b");
  ASSERT_TRUE(processed(2));
  clock_.advance(1s);
  recordIssued("a");  // a is now the most recently seen
  ASSERT_TRUE(processed(3));
  clock_.advance(1s);
  recordIssued("c");  // the cache is full: b goes
  ASSERT_TRUE(processed(4));
  clock_.advance(1s);
  recordIssued("a");  // still a series: counted in the same Event
  recordIssued("b");  // forgotten: a new Event
  ASSERT_TRUE(processed(6));
  EXPECT_TRUE(stop().isOk());  // flushes a's count

  auto counts = countsByName("team-a");  // regarding name → each Event's count
  EXPECT_EQ(counts["a"], std::vector<int>{3});
  EXPECT_EQ(counts["b"], (std::vector<int>{1, 1}));
  EXPECT_EQ(counts["c"], std::vector<int>{1});
}

// A burst is taken from the queue at most maxSeries / 2 events at a time:
// the rest wait (packed) in the queue, the cache keeps created series to
// evict, and a repeat in a later batch still joins its series.
TEST_F(RecorderTest, ABurstIsSentInBatchesOfAtMostHalfTheSeriesCache) {
  auto o = options();
  o.maxSeries = 4;  // batches of 2
  std::atomic<int> asked{0};
  o.holdWhile = [&] {
    ++asked;  // asked once before each batch
    return false;
  };
  makeRecorder(o);
  for (const char* name : {"a", "b", "c", "a", "d", "e", "a", "f", "g"}) recordIssued(name);
  startSender();
  ASSERT_TRUE(processed(9));
  EXPECT_EQ(asked.load(), 5);  // 9 events in batches of 2
  EXPECT_TRUE(stop().isOk());  // flushes a's count

  auto counts = countsByName("team-a");  // regarding name → each Event's count
  EXPECT_EQ(counts["a"], std::vector<int>{3});
  for (const char* name : {"b", "c", "d", "e", "f", "g"}) {
    EXPECT_EQ(counts[name], std::vector<int>{1}) << name;
  }
  EXPECT_EQ(recorder_->dropped(), 0u);
}

// On stop everything still queued is sent, however many batches it takes,
// in batches like any other: one batch of the whole queue would leave the
// series cache nothing to evict but series of that batch (each new series
// then scanned the whole cache: 10,000 events queued at a stop took 30
// million steps).
TEST_F(RecorderTest, StopSendsEverythingStillQueuedInBatches) {
  auto o = options();
  o.maxSeries = 4;  // batches of 2
  o.holdWhile = [] { return true; };
  o.maxHold = std::chrono::hours(1);  // held until stop
  makeRecorder(o);
  for (const char* name : {"a", "b", "c", "d", "e", "f", "g", "h", "i"}) recordIssued(name);
  startSender();
  ASSERT_TRUE(eventually([&] { return recorder_->holds() >= 1; }));
  EXPECT_TRUE(client_.objects(ctrl::resources::event(), "team-a").empty());
  EXPECT_TRUE(stop().isOk());
  EXPECT_EQ(events("team-a").size(), 9u);
  EXPECT_EQ(recorder_->processed(), 9u);
  EXPECT_EQ(recorder_->dropped(), 0u);
  EXPECT_EQ(recorder_->peakSeries(), 4u);
}

// A failure while a stop sends the queue ends the sending: the rest of its
// batch and everything still queued are dropped and counted, not written
// one timeout at a time.
TEST_F(RecorderTest, AFailureWhileStoppingDropsWhatIsStillQueued) {
  auto o = options();
  o.maxSeries = 4;  // batches of 2
  o.senders = 1;    // one write at a time: the second sees the first fail
  o.holdWhile = [] { return true; };
  o.maxHold = std::chrono::hours(1);  // held until stop
  makeRecorder(o);
  client_.setInterceptor([](std::string_view, const ctrl::Resource&, std::string_view) {
    return ctrl::Status(ctrl::Code::kUnavailable, "the API is gone");
  });
  for (const char* name : {"a", "b", "c", "d", "e"}) recordIssued(name);
  startSender();
  ASSERT_TRUE(eventually([&] { return recorder_->holds() >= 1; }));
  EXPECT_TRUE(stop().isOk());
  EXPECT_EQ(recorder_->failed(), 1u);   // a
  EXPECT_EQ(recorder_->dropped(), 4u);  // b, in a's batch; c, d and e, still queued
  EXPECT_EQ(client_.calls("create"), 1);
  EXPECT_TRUE(events("team-a").empty());
}

TEST(RecorderOptionsTest, RejectsMissingReportingFields) {
  FakeClock clock;
  FakeLeaseClient client;
  ctrl::EventRecorderOptions o;
  o.reportingController = "servicetoken.dev/operator";
  EXPECT_EQ(ctrl::AsyncEventRecorder::create(client, clock, o).status().code(),
            ctrl::Code::kInvalidArgument);
  o.reportingInstance = "pod-0";
  o.queueCapacity = 0;
  EXPECT_EQ(ctrl::AsyncEventRecorder::create(client, clock, o).status().code(),
            ctrl::Code::kInvalidArgument);
  o.queueCapacity = 1;
  EXPECT_TRUE(ctrl::AsyncEventRecorder::create(client, clock, o).isOk());
}

}  // namespace
}  // namespace sttest
