// Store: snapshots, indexes, and the diff a relist (replace) produces.
#include "controller/store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Obj {
  std::string name;
  std::vector<std::string> owners;
  std::string user;
};

using Store = ctrl::Store<Obj>;

std::shared_ptr<const Obj> obj(std::string name, std::vector<std::string> owners = {},
                               std::string user = "") {
  return std::make_shared<const Obj>(Obj{std::move(name), std::move(owners), std::move(user)});
}

void addIndexes(Store& store) {
  ASSERT_TRUE(store.addIndex("owner", [](const Obj& o) { return o.owners; }).isOk());
  ASSERT_TRUE(store
                  .addIndex("user",
                            [](const Obj& o) {
                              return o.user.empty() ? std::vector<std::string>{}
                                                    : std::vector<std::string>{o.user};
                            })
                  .isOk());
}

TEST(StoreTest, GetListAndRemove) {
  Store store;
  EXPECT_EQ(store.upsert("ns/a", "1", obj("a")), nullptr);
  EXPECT_EQ(store.upsert("ns/b", "2", obj("b")), nullptr);
  EXPECT_EQ(store.size(), 2u);
  ASSERT_NE(store.get("ns/a"), nullptr);
  EXPECT_EQ(store.get("ns", "a")->name, "a");
  EXPECT_EQ(store.resourceVersionOf("ns/b"), "2");
  EXPECT_EQ(store.get("ns/zz"), nullptr);
  EXPECT_EQ(store.keys(), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(store.list().size(), 2u);

  auto removed = store.remove("ns/a");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->name, "a");
  EXPECT_EQ(store.remove("ns/a"), nullptr);
  EXPECT_EQ(store.keys(), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(store.resourceVersionOf("ns/a"), "");
}

TEST(StoreTest, SnapshotsStayValidAfterTheObjectIsReplaced) {
  Store store;
  store.upsert("ns/a", "1", obj("a", {}, "alice"));
  std::shared_ptr<const Obj> held = store.get("ns/a");

  auto before = store.upsert("ns/a", "2", obj("a", {}, "bob"));
  EXPECT_EQ(before, held);         // the replaced snapshot is handed back
  EXPECT_EQ(held->user, "alice");  // and is unchanged
  EXPECT_EQ(store.get("ns/a")->user, "bob");

  store.replace({});
  EXPECT_EQ(store.size(), 0u);
  EXPECT_EQ(held->user, "alice");  // still valid after the store dropped every object
}

TEST(StoreTest, IndexLookupsFollowUpdatesAndRemovals) {
  Store store;
  addIndexes(store);
  store.upsert("ns/a", "1", obj("a", {"uid-1"}, "alice"));
  store.upsert("ns/b", "1", obj("b", {"uid-1", "uid-2"}, "alice"));
  store.upsert("ns/c", "1", obj("c", {}, "carol"));

  EXPECT_EQ(store.indexKeys("owner", "uid-1"), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(store.indexKeys("owner", "uid-2"), (std::vector<std::string>{"ns/b"}));
  EXPECT_TRUE(store.indexKeys("owner", "uid-3").empty());
  auto byUser = store.byIndex("user", "alice");
  ASSERT_EQ(byUser.size(), 2u);
  EXPECT_EQ(byUser[0]->name, "a");
  EXPECT_EQ(byUser[1]->name, "b");

  // An update moves the object between index values.
  store.upsert("ns/a", "2", obj("a", {"uid-2"}, "carol"));
  EXPECT_EQ(store.indexKeys("owner", "uid-1"), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(store.indexKeys("owner", "uid-2"), (std::vector<std::string>{"ns/a", "ns/b"}));
  EXPECT_EQ(store.indexKeys("user", "carol"), (std::vector<std::string>{"ns/a", "ns/c"}));
  EXPECT_EQ(store.indexKeys("user", "alice"), (std::vector<std::string>{"ns/b"}));

  store.remove("ns/b");
  EXPECT_TRUE(store.indexKeys("owner", "uid-1").empty());
  EXPECT_EQ(store.indexKeys("owner", "uid-2"), (std::vector<std::string>{"ns/a"}));
  EXPECT_TRUE(store.byIndex("user", "alice").empty());
}

TEST(StoreTest, IndexAddedLaterCoversExistingObjects) {
  Store store;
  store.upsert("ns/a", "1", obj("a", {"uid-1"}));
  ASSERT_TRUE(store.addIndex("owner", [](const Obj& o) { return o.owners; }).isOk());
  EXPECT_EQ(store.indexKeys("owner", "uid-1"), (std::vector<std::string>{"ns/a"}));
  auto again = store.addIndex("owner", [](const Obj& o) { return o.owners; });
  EXPECT_EQ(again.code(), ctrl::Code::kInvalidArgument);
}

TEST(StoreTest, ReplaceReportsAdditionsUpdatesAndRemovals) {
  Store store;
  addIndexes(store);
  store.upsert("ns/a", "1", obj("a", {"uid-1"}));
  store.upsert("ns/b", "1", obj("b", {"uid-1"}));
  store.upsert("ns/c", "5", obj("c", {"uid-1"}));
  store.upsert("ns/d", "1", obj("d"));

  auto changes = store.replace({{"ns/c", "5", obj("c", {"uid-1"})},    // same version
                                {"ns/a", "2", obj("a", {"uid-2"})},    // changed
                                {"ns/e", "3", obj("e", {"uid-1"})}});  // new
  ASSERT_EQ(changes.size(), 5u);
  EXPECT_EQ(changes[0].key, "ns/c");
  EXPECT_FALSE(changes[0].versionChanged);
  EXPECT_NE(changes[0].before, nullptr);
  EXPECT_EQ(changes[1].key, "ns/a");
  EXPECT_TRUE(changes[1].versionChanged);
  EXPECT_EQ(changes[1].before->owners, std::vector<std::string>{"uid-1"});
  EXPECT_EQ(changes[1].after->owners, std::vector<std::string>{"uid-2"});
  EXPECT_EQ(changes[2].key, "ns/e");
  EXPECT_EQ(changes[2].before, nullptr);
  // Removals last, ordered by key, with the last known state.
  EXPECT_EQ(changes[3].key, "ns/b");
  EXPECT_EQ(changes[3].after, nullptr);
  EXPECT_EQ(changes[3].before->name, "b");
  EXPECT_EQ(changes[4].key, "ns/d");

  EXPECT_EQ(store.keys(), (std::vector<std::string>{"ns/a", "ns/c", "ns/e"}));
  EXPECT_EQ(store.resourceVersionOf("ns/a"), "2");
  // Indexes are rebuilt from the new contents.
  EXPECT_EQ(store.indexKeys("owner", "uid-1"), (std::vector<std::string>{"ns/c", "ns/e"}));
  EXPECT_EQ(store.indexKeys("owner", "uid-2"), (std::vector<std::string>{"ns/a"}));
}

TEST(StoreTest, ReplaceWithDuplicateKeysKeepsTheLast) {
  Store store;
  auto changes = store.replace({{"ns/a", "1", obj("first")}, {"ns/a", "2", obj("second")}});
  ASSERT_EQ(changes.size(), 1u);
  EXPECT_EQ(changes[0].after->name, "second");
  EXPECT_EQ(store.get("ns/a")->name, "second");
}

// Index buckets point at the store's own keys (each key is stored once): the
// keys must survive the map growing (rehashing), entries being removed and a
// relist swapping the whole map (run under SANITIZE=address to check).
TEST(StoreTest, IndexKeysSurviveGrowthRemovalAndRelist) {
  Store store;
  addIndexes(store);
  std::vector<std::string> want;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = "ns/o" + std::to_string(10000 + i);
    store.upsert(key, "1", obj(key, {"uid-all", "uid-" + std::to_string(i % 2)}));
    want.push_back(key);
  }
  std::sort(want.begin(), want.end());
  EXPECT_EQ(store.indexKeys("owner", "uid-all"), want);
  for (int i = 0; i < 2000; i += 2) store.remove("ns/o" + std::to_string(10000 + i));
  EXPECT_TRUE(store.indexKeys("owner", "uid-0").empty());
  EXPECT_EQ(store.indexKeys("owner", "uid-1").size(), 1000u);
  // An update moves a key from one bucket to another.
  store.upsert("ns/o10001", "2", obj("ns/o10001", {"uid-0"}));
  EXPECT_EQ(store.indexKeys("owner", "uid-0"), (std::vector<std::string>{"ns/o10001"}));
  EXPECT_EQ(store.indexKeys("owner", "uid-1").size(), 999u);
  store.replace({{"ns/x", "1", obj("x", {"uid-1"})}, {"ns/o10003", "1", obj("y", {"uid-1"})}});
  EXPECT_EQ(store.indexKeys("owner", "uid-1"), (std::vector<std::string>{"ns/o10003", "ns/x"}));
  EXPECT_TRUE(store.indexKeys("owner", "uid-all").empty());
  EXPECT_EQ(store.byIndex("owner", "uid-1").size(), 2u);
}

// Readers on other threads see whole snapshots while the writer replaces them
// (run under SANITIZE=thread to check the locking).
TEST(StoreTest, ConcurrentReadersSeeConsistentSnapshots) {
  Store store;
  addIndexes(store);
  store.upsert("ns/a", "0", obj("a", {"uid-0"}, "u0"));
  std::atomic<bool> done{false};
  std::atomic<int> mismatches{0};
  std::vector<std::jthread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!done.load()) {
        auto p = store.get("ns/a");
        // owners and user are always written together: "uid-N" with "uN".
        if (p == nullptr || p->owners.at(0).substr(4) != p->user.substr(1)) ++mismatches;
        store.byIndex("owner", "uid-1");
        store.list();
      }
    });
  }
  for (int i = 1; i <= 2000; ++i) {
    std::string n = std::to_string(i);
    store.upsert("ns/a", n, obj("a", {"uid-" + n}, "u" + n));
  }
  done = true;
  readers.clear();
  EXPECT_EQ(mismatches.load(), 0);
  EXPECT_EQ(store.indexKeys("owner", "uid-2000"), (std::vector<std::string>{"ns/a"}));
  EXPECT_TRUE(store.indexKeys("owner", "uid-1999").empty());
}

}  // namespace
