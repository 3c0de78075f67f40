// Informer<T>: typed decoding (failures skipped, never fatal), handler
// order, snapshots, indexes, sync, and the handler registration contract.
#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <sstream>

#include "controller/log.h"
#include "controller/metrics.h"
#include "informer_harness.h"

namespace {

using namespace std::chrono_literals;
using cachetest::InformerRig;
using cachetest::item;
using cachetest::Item;
using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::WatchEventType;
using Strings = std::vector<std::string>;

Json badItem(const std::string& name, const std::string& rv) {
  return sttest::makeObject("ns", name, rv, {{"bad", true}});
}

// informer_decode_failures_total{resource}; 0 when the series does not exist.
double decodeFailures(const std::string& resource) {
  for (const auto& family : ctrl::metricsRegistry()->Collect()) {
    if (family.name != "informer_decode_failures_total") continue;
    for (const auto& metric : family.metric) {
      for (const auto& label : metric.label) {
        if (label.name == "resource" && label.value == resource) return metric.counter.value;
      }
    }
  }
  return 0;
}

TEST(InformerTest, WatchEventsReachHandlersInOrder) {
  InformerRig rig;
  rig.fake().pushListPage({}, "1");
  rig.fake().pushEvent(WatchEventType::kAdded, item("a", "2", "one"));
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "3", "two"));
  rig.fake().pushEvent(WatchEventType::kAdded, item("b", "4"));
  rig.fake().pushEvent(WatchEventType::kDeleted, item("a", "5", "two"));
  rig.start();

  ASSERT_TRUE(rig.eventually([&] { return rig.events().size() == 4; }));
  EXPECT_EQ(rig.events(),
            (Strings{"add ns/a 2", "update ns/a 2->3", "add ns/b 4", "delete ns/a 5"}));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/b"}));
  EXPECT_EQ(rig.informer().name(), "informer/things");
}

TEST(InformerTest, UnknownKeysAreAddsAndUnknownDeletesAreIgnored) {
  InformerRig rig;
  rig.fake().pushListPage({}, "1");
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "2"));  // never seen: an add
  rig.fake().pushEvent(WatchEventType::kDeleted, item("zz", "3"));  // never seen: nothing
  rig.fake().pushEvent(WatchEventType::kAdded, item("a", "4"));     // seen: an update
  rig.fake().pushEvent(WatchEventType::kAdded, item("end", "5"));
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.store().get("ns/end") != nullptr; }));
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 2", "update ns/a 2->4", "add ns/end 5"}));
}

TEST(InformerTest, ObjectsThatFailToDecodeAreSkippedNotFatal) {
  InformerRig rig;
  Json noName = Json{{"metadata", {{"namespace", "ns"}}}};
  Json throws = sttest::makeObject("ns", "t", "3", {{"throw", true}});
  rig.fake().pushListPage({item("a", "1"), badItem("b", "2"), throws, noName, item("c", "4")}, "4");
  rig.fake().pushEvent(WatchEventType::kAdded, badItem("d", "5"));
  rig.fake().pushEvent(WatchEventType::kModified, badItem("b", "6"));  // still bad
  rig.fake().pushEvent(WatchEventType::kModified, badItem("a", "7"));  // keeps the cached a
  rig.fake().pushEvent(WatchEventType::kAdded, Json("not an object"));
  rig.fake().pushEvent(WatchEventType::kModified, item("b", "8"));    // fixed: appears
  rig.fake().pushEvent(WatchEventType::kDeleted, badItem("d", "9"));  // never cached
  rig.fake().pushEvent(WatchEventType::kAdded, item("e", "10"));
  rig.start();

  ASSERT_TRUE(rig.eventually([&] { return rig.store().get("ns/e") != nullptr; }));
  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b", "ns/c", "ns/e"}));
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/c 4", "add ns/b 8", "add ns/e 10"}));
  EXPECT_TRUE(rig.backoffs().empty());  // the watch carried on
  EXPECT_FALSE(rig.finished());
}

// A new version the codec rejects is not a deletion: the store keeps the
// last version that decoded, no handler hears of it, the failure is counted,
// and the log names the object but never quotes it.
TEST(InformerTest, AModifiedObjectThatFailsToDecodeKeepsTheLastGoodVersion) {
  std::ostringstream logs;
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel, &logs);
  const double failuresBefore = decodeFailures("things");
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1", "good")}, "1");
  Json bad = badItem("a", "2");
  bad["data"] = "do-not-log-this-value";
  rig.fake().pushEvent(WatchEventType::kModified, bad);
  rig.fake().pushEvent(WatchEventType::kAdded, item("marker", "3"));
  rig.start();

  ASSERT_TRUE(rig.eventually([&] { return rig.store().get("ns/marker") != nullptr; }));
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel);
  auto a = rig.store().get("ns/a");
  ASSERT_NE(a, nullptr) << "a rejected update deleted the object from the cache";
  EXPECT_EQ(a->value, "good");
  EXPECT_EQ(a->meta.resourceVersion, "1");
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/marker 3"}));
  EXPECT_EQ(decodeFailures("things") - failuresBefore, 1);
  EXPECT_NE(logs.str().find("ns/a"), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("do-not-log-this-value"), std::string::npos);

  // The next version that decodes is an ordinary update from the kept one.
  rig.fake().pushEvent(WatchEventType::kModified, item("a", "4", "fixed"));
  ASSERT_TRUE(rig.eventually([&] { return rig.events().size() == 3; }));
  EXPECT_EQ(rig.events().back(), "update ns/a 1->4");
}

// The same on a relist: a listed object the codec rejects keeps its cached
// version instead of vanishing (no onDelete); one never cached stays out.
TEST(InformerTest, ARelistKeepsTheLastGoodVersionOfObjectsThatFailToDecode) {
  const double failuresBefore = decodeFailures("things");
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1", "good"), item("b", "2")}, "2");
  rig.fake().pushEnd(Status(Code::kGone, "too old"));
  rig.fake().pushListPage({badItem("a", "5"), item("b", "2"), badItem("c", "6")}, "6");
  rig.start();
  ASSERT_EQ(rig.passBackoff(1), 800ms);  // after the watch's 410
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().listCount() == 2; }));

  EXPECT_EQ(rig.store().keys(), (Strings{"ns/a", "ns/b"}));
  ASSERT_NE(rig.store().get("ns/a"), nullptr);
  EXPECT_EQ(rig.store().get("ns/a")->value, "good");
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1", "add ns/b 2"})) << "no delete, no update";
  EXPECT_EQ(decodeFailures("things") - failuresBefore, 2);
}

TEST(InformerTest, SnapshotsStayValidAfterTheStoreReplacesTheObject) {
  InformerRig rig;
  rig.fake().pushListPage({item("a", "1", "old")}, "1");
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  std::shared_ptr<const Item> held = rig.store().get("ns/a");
  ASSERT_NE(held, nullptr);

  rig.fake().pushEvent(WatchEventType::kModified, item("a", "2", "new"));
  rig.fake().pushEvent(WatchEventType::kDeleted, item("a", "3", "new"));
  ASSERT_TRUE(rig.eventually([&] { return rig.events().size() == 3; }));
  EXPECT_EQ(rig.store().get("ns/a"), nullptr);
  EXPECT_EQ(held->value, "old");
  EXPECT_EQ(held->meta.resourceVersion, "1");
}

// An index "value" over Item::value; a list of a=x and b=y, then b moves to x.
void indexByValueAndMoveBToX(InformerRig& rig) {
  ASSERT_TRUE(
      rig.informer()
          .addIndex("value", [](const Item& i) { return std::vector<std::string>{i.value}; })
          .isOk());
  rig.fake().pushListPage({item("a", "1", "x"), item("b", "1", "y")}, "1");
  rig.fake().pushEvent(WatchEventType::kModified, item("b", "2", "x"));
}

TEST(InformerTest, IndexesFollowWatchEvents) {
  InformerRig rig;
  indexByValueAndMoveBToX(rig);
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.events().size() == 3; }));
  auto xs = rig.store().byIndex("value", "x");
  ASSERT_EQ(xs.size(), 2u);
  EXPECT_EQ(xs[0]->meta.name, "a");
  EXPECT_EQ(xs[1]->meta.name, "b");
  EXPECT_TRUE(rig.store().byIndex("value", "y").empty());
}

// A packed cache (pack.h): the store keeps bytes, yet handlers, reads and
// indexes see the same objects as with a plain one.
TEST(InformerTest, APackedCacheServesTheSameObjects) {
  static const ctrl::PackDictionary words{"x"};
  InformerRig rig;
  rig.informer().setPacking({[](const Item& i, std::string& out) {
                               ctrl::PackWriter w(out, words);
                               w.meta(i.meta);
                               w.str(i.value);
                             },
                             [](std::string_view bytes, Item& i) {
                               ctrl::PackReader r(bytes, words);
                               return r.meta(i.meta) && r.str(i.value) && r.done();
                             }});
  indexByValueAndMoveBToX(rig);
  rig.fake().pushEvent(WatchEventType::kDeleted, item("a", "3", "x"));
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.events().size() == 4; }));
  EXPECT_EQ(rig.events(), (std::vector<std::string>{"add ns/a 1", "add ns/b 1", "update ns/b 1->2",
                                                    "delete ns/a 3"}));
  EXPECT_TRUE(rig.store().packed());
  auto b = rig.store().get("ns/b");
  ASSERT_NE(b, nullptr);
  EXPECT_EQ(b->value, "x");
  EXPECT_EQ(b->meta.resourceVersion, "2");
  EXPECT_EQ(rig.store().indexKeys("value", "x"), (std::vector<std::string>{"ns/b"}));
}

TEST(InformerTest, WaitForSyncReportsSyncTimeoutAndStop) {
  InformerRig rig;
  std::stop_source never;
  // Not started: a deadline that has passed returns false at once.
  EXPECT_FALSE(rig.informer().waitForSync(never.get_token(), rig.clock().now()));
  // A stop request ends the wait even with a far deadline.
  std::stop_source stop;
  stop.request_stop();
  EXPECT_FALSE(rig.informer().waitForSync(stop.get_token(), rig.clock().now() + 1h));

  rig.fake().pushListPage({item("a", "1")}, "1");
  rig.start();
  EXPECT_TRUE(rig.informer().waitForSync(never.get_token(), rig.clock().now() + 1h));
  EXPECT_TRUE(rig.informer().hasSynced());
  // Handlers saw the initial list before sync was reported.
  EXPECT_EQ(rig.events(), (Strings{"add ns/a 1"}));
}

TEST(InformerTest, WaitForSyncTimesOutOnTheInformersClock) {
  InformerRig rig;  // lists fail, so it never syncs
  rig.start();
  std::stop_source never;
  ctrl::MonoTime deadline = rig.clock().now() + 5s;
  bool result = true;
  std::jthread waiter([&] { result = rig.informer().waitForSync(never.get_token(), deadline); });
  rig.clock().advance(5s);
  waiter.join();
  EXPECT_FALSE(result);
}

TEST(InformerTest, HandlersMustBeAddedBeforeStart) {
  InformerRig rig;
  rig.fake().pushListPage({}, "1");
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  Status late = rig.informer().addEventHandler({});
  EXPECT_EQ(late.code(), Code::kInvalidArgument);
}

TEST(InformerTest, AThrowingHandlerDoesNotStopTheInformer) {
  std::ostringstream logs;
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel, &logs);
  sttest::FakeClock clock;
  sttest::FakeWatchClient fake(&clock);
  ctrl::ReflectorOptions options;
  options.resource = cachetest::testResource();
  ctrl::Informer<Item> informer(fake, fake, options, cachetest::decodeItem, clock);
  std::mutex mu;
  std::condition_variable cv;
  Strings seen;
  ctrl::EventHandlers<Item> thrower;
  thrower.onAdd = [](const std::shared_ptr<const Item>&) { throw std::runtime_error("boom"); };
  ctrl::EventHandlers<Item> recorder;
  recorder.onAdd = [&](const std::shared_ptr<const Item>& o) {
    std::lock_guard lock(mu);
    seen.push_back(o->meta.name);
    cv.notify_all();
  };
  ASSERT_TRUE(informer.addEventHandler(thrower).isOk());
  ASSERT_TRUE(informer.addEventHandler(recorder).isOk());
  fake.pushListPage({item("a", "1")}, "1");
  fake.pushEvent(WatchEventType::kAdded, item("b", "2"));
  std::jthread thread([&](std::stop_token stop) { EXPECT_TRUE(informer.start(stop).isOk()); });
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, 10s, [&] { return seen.size() == 2; }));
  EXPECT_EQ(seen, (Strings{"a", "b"}));
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel);
  // Logged with the exception's type; what() may quote input, so never it.
  EXPECT_NE(logs.str().find("std::runtime_error"), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("boom"), std::string::npos) << logs.str();
}

TEST(InformerTest, StartingTwiceIsRejected) {
  InformerRig rig;
  rig.fake().pushListPage({}, "1");
  rig.start();
  ASSERT_TRUE(rig.eventually([&] { return rig.informer().hasSynced(); }));
  std::stop_source stop;
  EXPECT_EQ(rig.informer().start(stop.get_token()).code(), Code::kInvalidArgument);
}

}  // namespace
