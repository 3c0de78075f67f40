// The reflector's list/watch protocol, observed through an informer on a
// FakeWatchClient and a FakeClock: paging, resourceVersion bookkeeping,
// relists on 410 (HTTP and in-stream), and reconnect backoff. No real sleeps:
// backoff only ends when the test advances the fake clock.
#include <gtest/gtest.h>

#include "informer_harness.h"

namespace {

using namespace std::chrono_literals;
using cachetest::InformerRig;
using cachetest::item;
using ctrl::Code;
using ctrl::Status;
using ctrl::WatchEventType;
using Strings = std::vector<std::string>;

TEST(ReflectorTest, StitchesPagesAndWatchesFromTheListVersion) {
  ctrl::ReflectorOptions options;
  options.labelSelector = "app=x";
  options.fieldSelector = "metadata.name!=skip";
  InformerRig rig(options);
  rig.fake().pushListPage({item("a", "1"), item("b", "2")}, "10", "token-1");
  rig.fake().pushListPage({item("c", "3")}, "10");
  rig.start();

  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b", "ns/c"}));
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 2", "add ns/c 3"}));

  auto lists = rig.fake().lists();
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_EQ(lists[0].ns, "ns");
  EXPECT_EQ(lists[0].options.limit, 500);
  EXPECT_EQ(lists[0].options.continueToken, "");
  EXPECT_EQ(lists[0].options.labelSelector, "app=x");
  EXPECT_EQ(lists[0].options.fieldSelector, "metadata.name!=skip");
  EXPECT_EQ(lists[1].options.continueToken, "token-1");
  EXPECT_EQ(lists[1].options.labelSelector, "app=x");

  ASSERT_TRUE(rig.fake().waitForWatchCalls(1));
  auto watch = rig.fake().watches()[0];
  EXPECT_EQ(watch.ns, "ns");
  EXPECT_EQ(watch.options.resourceVersion, "10");
  EXPECT_TRUE(watch.options.allowBookmarks);
  EXPECT_EQ(watch.options.labelSelector, "app=x");
  EXPECT_EQ(watch.options.fieldSelector, "metadata.name!=skip");
  EXPECT_GE(watch.options.timeoutSeconds, 300);
  EXPECT_LT(watch.options.timeoutSeconds, 600);
  EXPECT_EQ(rig.informer().lastSyncResourceVersion(), "10");
  EXPECT_TRUE(rig.stop().isOk());
}

TEST(ReflectorTest, AFailedPageCommitsNothingAndTheListStartsOver) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "10", "token-1");
  // The second page is not scripted: Unavailable.
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.backoffs().size() == 1; }));
  EXPECT_EQ(rig.backoffs()[0], 800ms);
  EXPECT_FALSE(rig.informer().hasSynced());
  EXPECT_EQ(rig.store().size(), 0u);
  EXPECT_TRUE(rig.events().empty());

  rig.fake().pushListPage({item("a", "1")}, "11", "token-2");
  rig.fake().pushListPage({item("b", "2")}, "11");
  rig.clock().advance(800ms);
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  Strings tokens;
  for (const auto& l : rig.fake().lists()) tokens.push_back(l.options.continueToken);
  EXPECT_EQ(tokens, (Strings{"", "token-1", "", "token-2"}));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b"}));
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 2"}));
}

TEST(ReflectorTest, ExpiredContinueTokenRestartsTheListAtOnce) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "10", "token-1");
  rig.fake().pushListError(Status(Code::kGone, "continue token expired"));
  rig.fake().pushListPage({item("a", "1"), item("b", "2")}, "20", "token-2");
  rig.fake().pushListPage({item("c", "3")}, "20");
  rig.start();

  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  Strings tokens;
  for (const auto& l : rig.fake().lists()) tokens.push_back(l.options.continueToken);
  EXPECT_EQ(tokens, (Strings{"", "token-1", "", "token-2"}));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b", "ns/c"}));
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 2", "add ns/c 3"}));
  EXPECT_TRUE(rig.backoffs().empty());  // restarted without waiting
  ASSERT_TRUE(rig.fake().waitForWatchCalls(1));
  EXPECT_EQ(rig.fake().watches()[0].options.resourceVersion, "20");
}

TEST(ReflectorTest, EventsAndBookmarksAdvanceTheWatchVersion) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "10");
  rig.fake().pushEvent(WatchEventType::kAdded, item("b", "11"));
  rig.fake().pushEvent(WatchEventType::kBookmark, sttest::makeObject("", "", "15"));
  rig.fake().pushEnd(Status::ok());  // the server's timeoutSeconds ran out
  rig.start();

  // A cleanly ended watch resumes at once (no clock advance) from the bookmark.
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  auto watches = rig.fake().watches();
  EXPECT_EQ(watches[0].options.resourceVersion, "10");
  EXPECT_EQ(watches[1].options.resourceVersion, "15");
  EXPECT_EQ(rig.informer().lastSyncResourceVersion(), "15");
  EXPECT_TRUE(rig.backoffs().empty());
  EXPECT_EQ(rig.fake().lists().size(), 1u);
  // The bookmark reached no handler and no store entry.
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 11"}));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b"}));

  // The next event advances the version again.
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "16"));
  rig.fake().pushEnd(Status::ok());
  ASSERT_TRUE(rig.fake().waitForWatchCalls(3));
  EXPECT_EQ(rig.fake().watches()[2].options.resourceVersion, "16");
}

TEST(ReflectorTest, ErrorEvent410RelistsAndDeletesWhatVanished) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1"), item("b", "2"), item("c", "3")}, "3");
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "4"));
  rig.fake().pushEvent(WatchEventType::kError,
                       sttest::statusObject(410, "Expired", "too old resource version: 4 (7)"));
  rig.fake().pushListPage({item("a", "7", "new"), item("d", "6")}, "8");
  rig.start();

  // The watch was healthy (it delivered an event), so the backoff is the initial one.
  ASSERT_EQ(rig.passBackoff(1), 800ms);
  EXPECT_EQ(rig.backoffCauses()[0], Code::kGone);
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().listCount() == 2; }));

  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/d"}));
  EXPECT_EQ(rig.store().get("ns/a")->value, "new");
  EXPECT_EQ(rig.events(),
            (Strings{"add ns/a 1", "add ns/b 2", "add ns/c 3", "update ns/a 1->4",
                     "update ns/a 4->7", "add ns/d 6", "delete ns/b 2", "delete ns/c 3"}));
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  EXPECT_EQ(rig.fake().watches()[1].options.resourceVersion, "8");
  EXPECT_EQ(rig.fake().lists()[1].options.resourceVersion, "");  // a fresh, consistent list
}

TEST(ReflectorTest, HttpGoneRelists) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1"), item("b", "2")}, "5");
  rig.fake().pushEnd(Status(Code::kGone, "too old resource version"));
  rig.fake().pushListPage({item("b", "2"), item("c", "9")}, "9");
  rig.start();

  ASSERT_EQ(rig.passBackoff(1), 800ms);
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().listCount() == 2; }));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/b", "ns/c"}));
  // b kept its version: no update; a vanished: delete with its last state.
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 2", "add ns/c 9", "delete ns/a 1"}));
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  EXPECT_EQ(rig.fake().watches()[1].options.resourceVersion, "9");
}

TEST(ReflectorTest, UnavailableReconnectsAfterExponentialBackoffThenResets) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "5");
  for (int i = 0; i < 3; ++i) rig.fake().pushEnd(Status(Code::kUnavailable, "connection refused"));
  rig.start();

  ASSERT_TRUE(rig.fake().waitForWatchCalls(1));
  ctrl::MonoTime t0 = rig.fake().watches()[0].at;
  ASSERT_EQ(rig.passBackoff(1), 800ms);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  ASSERT_EQ(rig.passBackoff(2), 1600ms);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(3));
  ASSERT_EQ(rig.passBackoff(3), 3200ms);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(4));

  // Each reconnect happened exactly when its backoff ran out on the fake
  // clock (time moves only when the test advances it), from the same version.
  auto watches = rig.fake().watches();
  EXPECT_EQ(watches[1].at - t0, 800ms);
  EXPECT_EQ(watches[2].at - t0, 2400ms);
  EXPECT_EQ(watches[3].at - t0, 5600ms);
  for (const auto& w : watches) EXPECT_EQ(w.options.resourceVersion, "5");
  EXPECT_EQ(rig.fake().lists().size(), 1u);  // no relist for a connection error

  // A healthy watch (one event) resets the backoff.
  rig.fake().pushEvent(WatchEventType::kAdded, item("b", "6"));
  rig.fake().pushEnd(Status(Code::kUnavailable, "connection reset"));
  ASSERT_EQ(rig.passBackoff(4), 800ms);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(5));
  EXPECT_EQ(rig.fake().watches()[4].options.resourceVersion, "6");
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b"}));
}

TEST(ReflectorTest, BackoffDoublesUpTo30Seconds) {
  InformerRig rig;  // no list scripted: every list fails with Unavailable
  rig.start();
  std::vector<ctrl::Duration> want = {800ms, 1600ms, 3200ms, 6400ms, 12800ms, 25600ms, 30s, 30s};
  for (size_t i = 0; i < want.size(); ++i) {
    ASSERT_EQ(rig.passBackoff(i + 1), want[i]) << "backoff #" << i + 1;
  }
  EXPECT_FALSE(rig.informer().hasSynced());
}

TEST(ReflectorTest, OtherErrorEventsRetryTheWatchWithoutRelisting) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "5");
  rig.fake().pushEvent(WatchEventType::kError,
                       sttest::statusObject(500, "InternalError", "etcd hiccup"));
  rig.start();
  ASSERT_EQ(rig.passBackoff(1), 800ms);
  EXPECT_EQ(rig.backoffCauses()[0], Code::kInternal);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  EXPECT_EQ(rig.fake().watches()[1].options.resourceVersion, "5");
  EXPECT_EQ(rig.fake().lists().size(), 1u);
}

TEST(ReflectorTest, AWatchClosedAtOnceWithoutEventsBacksOff) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1")}, "5");
  rig.fake().pushEnd(Status::ok());  // zero fake time, zero events
  rig.start();
  ASSERT_EQ(rig.passBackoff(1), 800ms);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  EXPECT_EQ(rig.fake().watches()[1].at - rig.fake().watches()[0].at, 800ms);
}

TEST(ReflectorTest, StopEndsABackoffWaitPromptly) {
  InformerRig rig;  // lists fail; the informer waits on the never-advanced clock
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.backoffs().size() == 1; }));
  EXPECT_TRUE(rig.stop().isOk());
  EXPECT_TRUE(rig.finished());
}

// A half-open connection delivers nothing and never closes: the watch is
// dropped once neither an event nor a bookmark arrived for watchIdleTimeout
// (on watchIdleClock, here the fake clock), and resumed from the last version
// seen, without a relist.
TEST(ReflectorTest, ASilentWatchIsDroppedAndResumedFromTheLastVersion) {
  ctrl::ReflectorOptions options;
  options.watchIdleTimeout = 3min;
  InformerRig rig(options, /*fakeSilenceClock=*/true);
  rig.fake().pushListPage({item("a", "1")}, "10");
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "11"));
  rig.start();  // after the event, the fake watch blocks: silence
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().lastSyncResourceVersion() == "11"; }));
  const ctrl::MonoTime t0 = rig.clock().now();

  rig.clock().advance(3min - 1s);
  EXPECT_TRUE(rig.backoffs().empty()) << "dropped before watchIdleTimeout of silence";
  rig.clock().advance(1s);
  ASSERT_EQ(rig.passBackoff(1), 800ms) << "the silent watch was never dropped";
  EXPECT_EQ(rig.backoffCauses()[0], Code::kUnavailable);
  ASSERT_TRUE(rig.fake().waitForWatchCalls(2));
  const auto watches = rig.fake().watches();
  EXPECT_EQ(watches[1].options.resourceVersion, "11");
  EXPECT_EQ(watches[1].at - t0, 3min + 800ms);
  EXPECT_EQ(rig.fake().lists().size(), 1u) << "a silent watch needs no relist";
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a"}));
}

TEST(ReflectorTest, BookmarksKeepAQuietWatchAlive) {
  ctrl::ReflectorOptions options;
  options.watchIdleTimeout = 3min;
  InformerRig rig(options, /*fakeSilenceClock=*/true);
  rig.fake().pushListPage({item("a", "1")}, "10");
  rig.start();
  ASSERT_TRUE(rig.fake().waitForWatchCalls(1));
  for (int minute = 1; minute <= 10; ++minute) {  // a bookmark a minute, as the API sends
    rig.clock().advance(1min);
    const std::string rv = std::to_string(10 + minute);
    rig.fake().pushEvent(WatchEventType::kBookmark, sttest::makeObject("", "", rv));
    ASSERT_TRUE(rig.eventually([&] { return rig.informer().lastSyncResourceVersion() == rv; }));
  }
  EXPECT_TRUE(rig.backoffs().empty());
  EXPECT_EQ(rig.fake().watches().size(), 1u);
}

TEST(ReflectorTest, StopEndsAQuietWatchPromptly) {
  InformerRig rig;
  rig.fake().pushListPage({}, "1");
  rig.start();
  ASSERT_TRUE(rig.fake().waitForWatchCalls(1));
  EXPECT_TRUE(rig.stop().isOk());
  EXPECT_TRUE(rig.finished());
  EXPECT_TRUE(rig.backoffs().empty());
}

}  // namespace
