// PackWriter/PackReader (the packed form of cached objects), and a Store that
// keeps its objects packed.
#include "controller/pack.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <string>
#include <vector>

#include "controller/store.h"

namespace {

using ctrl::PackDictionary;
using ctrl::PackReader;
using ctrl::PackWriter;

const PackDictionary& words() {
  static const PackDictionary d{"servicetoken.dev/token-hash", "True", "Ready"};
  return d;
}

TEST(PackTest, IntegersRoundTripAtTheirLimits) {
  std::string bytes;
  PackWriter w(bytes, words());
  const std::vector<uint64_t> unsignedValues{
      0, 1, 127, 128, 16383, 16384, std::numeric_limits<uint64_t>::max()};
  const std::vector<int64_t> signedValues{
      0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (uint64_t v : unsignedValues) w.u64(v);
  for (int64_t v : signedValues) w.i64(v);
  PackReader r(bytes, words());
  for (uint64_t want : unsignedValues) {
    uint64_t got = 1;
    ASSERT_TRUE(r.u64(got));
    EXPECT_EQ(got, want);
  }
  for (int64_t want : signedValues) {
    int64_t got = 1;
    ASSERT_TRUE(r.i64(got));
    EXPECT_EQ(got, want);
  }
  EXPECT_TRUE(r.done());
}

TEST(PackTest, SmallNumbersTakeOneByteAndDictionaryWordsOneByte) {
  std::string bytes;
  PackWriter w(bytes, words());
  w.u64(5);
  w.i64(-3);
  w.str("servicetoken.dev/token-hash");
  w.str("");
  EXPECT_EQ(bytes.size(), 4u);
  w.str("Truth");  // not a word: its length, then its bytes
  EXPECT_EQ(bytes.size(), 4u + 1 + 5);
  PackReader r(bytes, words());
  uint64_t u = 0;
  int64_t i = 0;
  std::string a, b, c;
  ASSERT_TRUE(r.u64(u) && r.i64(i) && r.str(a) && r.str(b) && r.str(c));
  EXPECT_EQ(u, 5u);
  EXPECT_EQ(i, -3);
  EXPECT_EQ(a, "servicetoken.dev/token-hash");
  EXPECT_EQ(b, "");
  EXPECT_EQ(c, "Truth");
  EXPECT_TRUE(r.done());
}

ctrl::ObjectMeta fullMeta() {
  ctrl::ObjectMeta m;
  m.name = "api";
  m.namespace_ = "team-a";
  m.uid = "0b4c3c8e-3f0e-4b8e-9d0a-7a2f1c6d5e4b";
  m.resourceVersion = "123456";
  m.generation = 7;
  m.labels = ctrl::StringMap{{"app", "web"}, {"servicetoken.dev/token-hash", "True"}};
  m.annotations = ctrl::StringMap{{"note", std::string("with\0nul", 8)}, {"empty", ""}};
  m.ownerReferences = {{"servicetoken.dev/v1alpha1", "ServiceToken", "api", "uid-1", true, false},
                       {"v1", "ConfigMap", "cm", "uid-2", false, true}};
  m.deletionTimestamp = ctrl::WallTime(std::chrono::seconds(1800000000));
  m.creationTimestamp = ctrl::WallTime(std::chrono::nanoseconds(1700000000123456789));
  return m;
}

TEST(PackTest, ObjectMetaRoundTripsEveryField) {
  const ctrl::ObjectMeta m = fullMeta();
  std::string bytes;
  PackWriter(bytes, words()).meta(m);
  ctrl::ObjectMeta back;
  PackReader r(bytes, words());
  ASSERT_TRUE(r.meta(back));
  EXPECT_TRUE(r.done());
  EXPECT_EQ(back, m);

  ctrl::ObjectMeta plain;  // defaults, no deletion time
  plain.name = "x";
  bytes.clear();
  PackWriter(bytes, words()).meta(plain);
  back = m;  // a reader overwrites every field
  PackReader r2(bytes, words());
  ASSERT_TRUE(r2.meta(back));
  EXPECT_EQ(back, plain);
}

TEST(PackTest, EveryTruncationAndACorruptReferenceFailToRead) {
  std::string bytes;
  PackWriter(bytes, words()).meta(fullMeta());
  for (size_t n = 0; n < bytes.size(); ++n) {
    ctrl::ObjectMeta back;
    PackReader r(std::string_view(bytes).substr(0, n), words());
    EXPECT_FALSE(r.meta(back) && r.done()) << "prefix of " << n << " bytes";
  }
  std::string reference;
  PackWriter(reference, words()).u64((100u << 1) | 1);  // word 100 of 3
  std::string s;
  PackReader r(reference, words());
  EXPECT_FALSE(r.str(s));
  const std::string overlong(11, '\xff');  // a varint longer than 64 bits
  uint64_t v = 0;
  PackReader r2(overlong, words());
  EXPECT_FALSE(r2.u64(v));
  const std::string huge = "\x7e";  // a length of 63 with no bytes behind it
  PackReader r3(huge, words());
  EXPECT_FALSE(r3.str(s));
}

TEST(PackTest, PackedBytesKeepTheirContent) {
  const std::string bytes("a\0b", 3);
  ctrl::PackedPtr p = ctrl::makePacked(bytes);
  EXPECT_EQ(ctrl::packedBytes(p.get()), bytes);
  EXPECT_EQ(ctrl::packedBytes(ctrl::makePacked("").get()), "");
}

// ------------------------------------------------------------ a packed store

struct Obj {
  ctrl::ObjectMeta meta;
  std::string user;
  bool operator==(const Obj&) const = default;
};

ctrl::Packing<Obj> objPacking(int* unpacks = nullptr) {
  return {[](const Obj& o, std::string& out) {
            PackWriter w(out, words());
            w.meta(o.meta);
            w.str(o.user);
          },
          [unpacks](std::string_view bytes, Obj& o) {
            if (unpacks) ++*unpacks;
            PackReader r(bytes, words());
            return r.meta(o.meta) && r.str(o.user) && r.done();
          }};
}

std::shared_ptr<const Obj> obj(const std::string& name, const std::string& user) {
  Obj o;
  o.meta = fullMeta();
  o.meta.name = name;
  o.user = user;
  return std::make_shared<const Obj>(std::move(o));
}

TEST(PackedStoreTest, ReadsReturnEqualFreshSnapshots) {
  int unpacks = 0;
  ctrl::Store<Obj> store;
  store.setPacking(objPacking(&unpacks));
  ASSERT_TRUE(store.packed());
  const auto original = obj("a", "alice");
  EXPECT_EQ(store.upsert("ns/a", "1", original), nullptr);
  const auto first = store.get("ns/a");
  const auto second = store.get("ns/a");
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(*first, *original);
  EXPECT_NE(first, original);  // the store kept bytes, not the object
  EXPECT_NE(first, second);    // each read unpacks its own snapshot
  EXPECT_EQ(unpacks, 2);
  EXPECT_EQ(store.get("ns/none"), nullptr);

  const auto replaced = store.upsert("ns/a", "2", obj("a", "bob"));
  ASSERT_NE(replaced, nullptr);
  EXPECT_EQ(replaced->user, "alice");
  EXPECT_EQ(first->user, "alice");  // a snapshot never changes
  EXPECT_EQ(store.get("ns/a")->user, "bob");
  const auto removed = store.remove("ns/a");
  ASSERT_NE(removed, nullptr);
  EXPECT_EQ(removed->user, "bob");
  EXPECT_EQ(store.size(), 0u);
}

TEST(PackedStoreTest, IndexesAndRelistsWorkOnPackedObjects) {
  ctrl::Store<Obj> store;
  store.setPacking(objPacking());
  ASSERT_TRUE(
      store.addIndex("user", [](const Obj& o) { return std::vector<std::string>{o.user}; }).isOk());
  store.upsert("ns/a", "1", obj("a", "alice"));
  store.upsert("ns/b", "1", obj("b", "alice"));
  store.upsert("ns/c", "1", obj("c", "carol"));
  auto alices = store.byIndex("user", "alice");
  ASSERT_EQ(alices.size(), 2u);
  EXPECT_EQ(alices[0]->meta.name, "a");
  EXPECT_EQ(alices[1]->meta.name, "b");

  auto changes = store.replace({{"ns/b", "2", obj("b", "carol")}, {"ns/d", "1", obj("d", "dan")}});
  ASSERT_EQ(changes.size(), 4u);  // b updated, d added, then a and c removed
  EXPECT_EQ(changes[0].key, "ns/b");
  EXPECT_EQ(changes[0].before->user, "alice");
  EXPECT_EQ(changes[0].after->user, "carol");
  EXPECT_EQ(changes[1].before, nullptr);
  EXPECT_EQ(changes[1].after->user, "dan");
  EXPECT_EQ(changes[2].key, "ns/a");
  EXPECT_EQ(changes[2].after, nullptr);
  EXPECT_EQ(changes[2].before->user, "alice");
  EXPECT_TRUE(store.byIndex("user", "alice").empty());
  EXPECT_EQ(store.indexKeys("user", "carol"), (std::vector<std::string>{"ns/b"}));
  EXPECT_EQ(store.list().size(), 2u);
}

TEST(PackedStoreTest, ForEachUnpacksOneObjectAtATime) {
  int unpacks = 0;
  ctrl::Store<Obj> store;
  store.setPacking(objPacking(&unpacks));
  store.upsert("ns/a", "1", obj("a", "alice"));
  store.upsert("ns/b", "1", obj("b", "bob"));
  std::vector<std::string> seen;
  int unpackedBeforeEach = -1;
  bool oneAtATime = true;
  store.forEach([&](const Obj& o) {
    // Each object is unpacked just before fn sees it, never all up front.
    if (unpackedBeforeEach >= 0 && unpacks != unpackedBeforeEach + 1) oneAtATime = false;
    unpackedBeforeEach = unpacks;
    seen.push_back(o.meta.name + "=" + o.user);
  });
  std::sort(seen.begin(), seen.end());
  EXPECT_EQ(seen, (std::vector<std::string>{"a=alice", "b=bob"}));
  EXPECT_EQ(unpacks, 2);
  EXPECT_TRUE(oneAtATime);

  ctrl::Store<Obj> plain;  // the same walk over a store of structs
  plain.upsert("ns/c", "1", obj("c", "carol"));
  seen.clear();
  plain.forEach([&](const Obj& o) { seen.push_back(o.user); });
  EXPECT_EQ(seen, std::vector<std::string>{"carol"});
}

TEST(PackedStoreDeathTest, BytesThatDoNotUnpackStopTheProcess) {
  ctrl::Store<Obj> store("Obj");
  ctrl::Packing<Obj> broken = objPacking();
  broken.unpack = [](std::string_view, Obj&) { return false; };
  store.setPacking(std::move(broken));
  store.upsert("ns/a", "1", obj("a", "alice"));
  EXPECT_DEATH((void)store.get("ns/a"), "");
}

}  // namespace
