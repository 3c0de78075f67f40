// What the recorder writes: one events.k8s.io/v1 Event per distinct event,
// repeats folded into its series, and a queue that drops instead of blocking.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>

#include "recorder_harness.h"

namespace sttest {
namespace {

TEST_F(RecorderTest, CreatesEventWithEveryField) {
  makeRecorder(options());
  startSender();
  const std::string now = wallText();
  recorder_->event(token(), ctrl::EventType::kWarning, "IssueFailed", "IssueToken",
                   "Failed to issue a token");
  ASSERT_TRUE(processed(1));

  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 1U);
  const ctrl::Json& e = stored[0];
  EXPECT_EQ(e["apiVersion"], "events.k8s.io/v1");
  EXPECT_EQ(e["kind"], "Event");
  EXPECT_EQ(e["metadata"]["name"].get<std::string>().rfind("api.", 0), 0U);
  EXPECT_EQ(e["eventTime"], now);
  EXPECT_EQ(e["reportingController"], "servicetoken.dev/operator");
  EXPECT_EQ(e["reportingInstance"], "operator-0");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reason"], "IssueFailed");
  EXPECT_EQ(e["action"], "IssueToken");
  EXPECT_EQ(e["note"], "Failed to issue a token");
  EXPECT_EQ(e["regarding"], (ctrl::Json{{"kind", "ServiceToken"},
                                        {"apiVersion", "servicetoken.dev/v1alpha1"},
                                        {"namespace", "team-a"},
                                        {"name", "api"},
                                        {"uid", "uid-api"},
                                        {"resourceVersion", "42"}}));
  EXPECT_FALSE(e.contains("series"));
  EXPECT_EQ(recorder_->failed(), 0U);
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, AggregatesRepeatsIntoOneSeries) {
  makeRecorder(options());
  startSender();
  auto record = [&] {
    recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "Issued a token");
  };
  const std::string first = wallText();
  record();
  ASSERT_TRUE(processed(1));
  clock_.advance(1s);
  const std::string second = wallText();
  record();
  ASSERT_TRUE(processed(2));

  // The first repeat is patched at once.
  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["series"]["count"], 2);
  EXPECT_EQ(stored[0]["series"]["lastObservedTime"], second);
  EXPECT_EQ(stored[0]["eventTime"], first);

  // Later repeats are batched until seriesUpdateInterval (30 s).
  clock_.advance(1s);
  const std::string third = wallText();
  record();
  record();
  ASSERT_TRUE(processed(4));
  EXPECT_EQ(events("team-a")[0]["series"]["count"], 2);
  clock_.advance(30s);
  ASSERT_TRUE(eventually([&] { return events("team-a")[0]["series"]["count"] == 4; }));
  EXPECT_EQ(events("team-a")[0]["series"]["lastObservedTime"], third);

  EXPECT_EQ(client_.calls("create"), 1);
  EXPECT_EQ(client_.calls("patch"), 2);
  EXPECT_EQ(events("team-a").size(), 1U);
  EXPECT_TRUE(stop().isOk());
}

// The recorder reads nothing of the API's answers: it asks for their
// metadata only, for creates and series patches alike.
TEST_F(RecorderTest, AsksForTheAnswersMetadataOnly) {
  makeRecorder(options());
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(1));
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(2));  // the first repeat is patched at once
  EXPECT_TRUE(stop().isOk());
  EXPECT_EQ(client_.calls("create"), 1);
  EXPECT_EQ(client_.calls("patch"), 1);
  EXPECT_EQ(client_.metadataOnlyAnswers(), 2);
}

TEST_F(RecorderTest, DistinctEventsAreNotAggregated) {
  makeRecorder(options());
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  recorder_->event(token(), ctrl::EventType::kWarning, "Issued", "IssueToken", "n");
  recorder_->event(token(), ctrl::EventType::kNormal, "Rotated", "IssueToken", "n");
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "Rotate", "n");
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "other note");
  recorder_->event(token("web"), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(6));
  auto stored = events("team-a");
  EXPECT_EQ(stored.size(), 6U);
  for (const auto& e : stored) EXPECT_FALSE(e.contains("series")) << e.dump();
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, ANewResourceVersionOfTheObjectIsTheSameSeries) {
  makeRecorder(options());
  startSender();
  ctrl::ObjectRef later = token();
  later.resourceVersion = "43";
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  recorder_->event(later, ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ctrl::ObjectRef otherUid = token();
  otherUid.uid = "uid-other";
  recorder_->event(otherUid, ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(3));
  auto stored = events("team-a");
  ASSERT_EQ(stored.size(), 2U);
  int series = 0;
  for (const auto& e : stored) series += e.contains("series") ? 1 : 0;
  EXPECT_EQ(series, 1);
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, RepeatAfterTheWindowStartsANewEvent) {
  auto o = options();
  o.seriesWindow = 6min;
  makeRecorder(o);
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(1));
  clock_.advance(7min);
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(processed(2));
  auto stored = events("team-a");
  EXPECT_EQ(stored.size(), 2U);
  for (const auto& e : stored) EXPECT_FALSE(e.contains("series"));
  EXPECT_TRUE(stop().isOk());
}

// A burst of distinct events is written `senders` at a time: the API sees
// four creates in flight at once (it holds each until four wait), and every
// Event arrives once.
TEST_F(RecorderTest, BurstIsSentByConcurrentSenders) {
  auto o = options();
  o.senders = 4;
  makeRecorder(o);
  std::mutex mu;
  std::condition_variable cv;
  int inFlight = 0, maxInFlight = 0;
  client_.setInterceptor([&](std::string_view verb, const ctrl::Resource&, std::string_view) {
    if (verb != "create") return ctrl::Status::ok();
    std::unique_lock lock(mu);
    maxInFlight = std::max(maxInFlight, ++inFlight);
    cv.notify_all();
    // A failure bound, not a measurement: four must meet well within it.
    cv.wait_for(lock, 30s, [&] { return maxInFlight >= 4; });
    --inFlight;
    return ctrl::Status::ok();
  });
  // Queued before the sender starts, so they form one batch.
  constexpr int kEvents = 40;
  for (int i = 0; i < kEvents; ++i) {
    recorder_->event(token("t" + std::to_string(i)), ctrl::EventType::kNormal, "Issued",
                     "IssueToken", "minted");
  }
  startSender();
  ASSERT_TRUE(processed(kEvents));
  EXPECT_EQ(maxInFlight, 4);
  EXPECT_EQ(client_.calls("create"), kEvents);
  EXPECT_EQ(events("team-a").size(), static_cast<size_t>(kEvents));
  EXPECT_EQ(recorder_->dropped(), 0U);
}

// Repeats within one batch fold into the Event created for them: one
// create carrying the count, no patch.
TEST_F(RecorderTest, RepeatsWithinABatchAreCreatedWithTheirCount) {
  makeRecorder(options());
  for (int i = 0; i < 3; ++i) {
    recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "minted");
  }
  startSender();
  ASSERT_TRUE(processed(3));
  EXPECT_EQ(client_.calls("create"), 1);
  EXPECT_EQ(client_.calls("patch"), 0);
  auto all = events("team-a");
  ASSERT_EQ(all.size(), 1U);
  EXPECT_EQ(all[0]["series"]["count"], 3);
}

// While holdWhile says the API is busy with more important writes, queued
// events wait; once it says otherwise they go out.
TEST_F(RecorderTest, EventsWaitWhileHoldWhileSaysBusy) {
  auto o = options();
  std::atomic<bool> busy{true};
  o.holdWhile = [&] { return busy.load(); };
  makeRecorder(o);
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "minted");
  // The sender asked, was told to wait, and wrote nothing meanwhile.
  ASSERT_TRUE(eventually([&] { return recorder_->holds() >= 1; }));
  clock_.advance(o.holdCheckInterval);
  ASSERT_TRUE(eventually([&] { return recorder_->holds() >= 2; }));
  EXPECT_EQ(client_.calls("create"), 0);
  EXPECT_EQ(recorder_->processed(), 0U);
  busy = false;
  clock_.advance(o.holdCheckInterval);
  ASSERT_TRUE(processed(1));
  EXPECT_EQ(events("team-a").size(), 1U);
}

// Holding back is bounded: after maxHold the events go out even if the
// API is still busy.
TEST_F(RecorderTest, HoldingBackEndsAfterMaxHold) {
  auto o = options();
  o.holdWhile = [] { return true; };
  o.maxHold = 1min;
  makeRecorder(o);
  startSender();
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "minted");
  ASSERT_TRUE(eventually([&] { return recorder_->holds() >= 1; }));
  EXPECT_EQ(client_.calls("create"), 0);
  clock_.advance(1min);
  ASSERT_TRUE(processed(1));
  EXPECT_EQ(events("team-a").size(), 1U);
}

TEST_F(RecorderTest, FullQueueDropsInsteadOfBlocking) {
  auto o = options();
  o.queueCapacity = 3;
  makeRecorder(o);
  Gate gate;
  client_.setInterceptor([&](std::string_view verb, const ctrl::Resource&, std::string_view) {
    if (verb == "create") gate.wait();  // the API hangs
    return ctrl::Status::ok();
  });
  startSender();
  Gate::OpenOnExit unblock{gate};
  recorder_->event(token("first"), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  ASSERT_TRUE(eventually([&] { return client_.calls("create") == 1; }));

  // The sender is stuck in a request; recording must still return at once.
  for (int i = 0; i < 8; ++i) {
    recorder_->event(token("n" + std::to_string(i)), ctrl::EventType::kNormal, "Issued",
                     "IssueToken", "n");
  }
  EXPECT_EQ(recorder_->dropped(), 5U);
  EXPECT_EQ(recorder_->processed(), 0U);

  gate.open();
  ASSERT_TRUE(processed(4));
  EXPECT_EQ(events("team-a").size(), 4U);
  EXPECT_EQ(recorder_->dropped(), 5U);
  EXPECT_TRUE(stop().isOk());
}

TEST_F(RecorderTest, EventsBeforeStartWaitAndAfterStopAreDropped) {
  makeRecorder(options());
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "early");
  startSender();
  ASSERT_TRUE(processed(1));
  EXPECT_EQ(events("team-a").size(), 1U);
  EXPECT_TRUE(stop().isOk());
  recorder_->event(token(), ctrl::EventType::kNormal, "Issued", "IssueToken", "late");
  EXPECT_EQ(recorder_->dropped(), 1U);
}

// On the real clock (no fake clock's polling to hide a lost wake-up): an
// event recorded while the sender sleeps wakes it at once, whether it is the
// first, comes after a batch was sent, or is one of a burst. The sender's
// own timer is minutes away (seriesWindow), far beyond the wait below.
TEST(RecorderWakeUpTest, AnEventRecordedWhileTheSenderSleepsWakesItOnTheRealClock) {
  FakeLeaseClient client;
  ctrl::EventRecorderOptions o;
  o.reportingController = "servicetoken.dev/operator";
  o.reportingInstance = "operator-0";
  o.seriesWindow = std::chrono::minutes(10);
  auto created = ctrl::AsyncEventRecorder::create(client, ctrl::RealClock::instance(), o);
  ASSERT_TRUE(created.isOk()) << created.status().toString();
  std::unique_ptr<ctrl::AsyncEventRecorder> recorder = std::move(created).value();
  std::jthread sender([&](std::stop_token stop) { (void)recorder->start(stop); });
  auto ref = [](const std::string& name) {
    return ctrl::ObjectRef{
        "ServiceToken", "servicetoken.dev/v1alpha1", "team-a", name, "uid-" + name, "1"};
  };
  auto processed = [&](uint64_t n) {
    return eventually([&] { return recorder->processed() >= n; }, std::chrono::seconds(20));
  };

  recorder->event(ref("a"), ctrl::EventType::kNormal, "Issued", "IssueToken", "first");
  ASSERT_TRUE(processed(1)) << "the first event did not wake the sleeping sender";
  recorder->event(ref("b"), ctrl::EventType::kNormal, "Issued", "IssueToken", "after a batch");
  ASSERT_TRUE(processed(2)) << "an event after a sent batch did not wake the sender";
  for (int i = 0; i < 3; ++i) {
    recorder->event(ref("c" + std::to_string(i)), ctrl::EventType::kNormal, "Issued", "IssueToken",
                    "burst");
  }
  ASSERT_TRUE(processed(5)) << "a burst was left waiting";
  EXPECT_EQ(client.objects(ctrl::resources::event(), "team-a").size(), 5u);
  sender.request_stop();
}

}  // namespace
}  // namespace sttest
