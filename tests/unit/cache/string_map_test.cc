// StringMap: the compact labels/annotations map of cached objects behaves as
// a std::map<std::string, std::string> would (order, lookup, equality,
// mutation) while holding its entries in one buffer.
#include "controller/string_map.h"

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

using ctrl::StringMap;

std::vector<std::pair<std::string, std::string>> entries(const StringMap& m) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [k, v] : m) out.emplace_back(k, v);
  return out;
}

TEST(StringMapTest, EmptyMapHasNoEntriesAndNoBytes) {
  StringMap m;
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.begin(), m.end());
  EXPECT_FALSE(m.contains("a"));
  EXPECT_EQ(m.find("a"), m.end());
  EXPECT_EQ(m.get("a", "fallback"), "fallback");
  EXPECT_EQ(m.byteSize(), 0u);
}

TEST(StringMapTest, IteratesInKeyOrderLikeStdMap) {
  const std::map<std::string, std::string> reference = {
      {"servicetoken.dev/token-id", "jti-1"},
      {"app.kubernetes.io/managed-by", "servicetoken-operator"},
      {"b", ""},
      {"a", "first"},
      {"Z", "upper case sorts first"}};
  StringMap m(reference);
  EXPECT_EQ(m.size(), reference.size());
  std::vector<std::pair<std::string, std::string>> want(reference.begin(), reference.end());
  EXPECT_EQ(entries(m), want);
  EXPECT_EQ(m.toMap(), reference);
}

TEST(StringMapTest, FindsEveryKeyAndNoOther) {
  StringMap m{{"k2", "v2"}, {"k1", "v1"}, {"k3", "v3"}};
  for (const char* k : {"k1", "k2", "k3"}) {
    auto it = m.find(k);
    ASSERT_NE(it, m.end()) << k;
    EXPECT_EQ(it->first, k);
    EXPECT_EQ(it->second, std::string("v") + (k + 1));
    EXPECT_TRUE(m.contains(k));
    EXPECT_EQ(m.count(k), 1u);
  }
  for (const char* k : {"", "k", "k0", "k20", "k4", "z"}) {
    EXPECT_EQ(m.find(k), m.end()) << k;
    EXPECT_FALSE(m.contains(k)) << k;
  }
}

TEST(StringMapTest, FirstOfDuplicateKeysWins) {
  StringMap m{{"a", "1"}, {"b", "2"}, {"a", "3"}};
  EXPECT_EQ(m.size(), 2u);
  EXPECT_EQ(m.get("a"), "1");
}

TEST(StringMapTest, EqualityIsByEntriesNotInsertionOrder) {
  StringMap a{{"x", "1"}, {"y", "2"}};
  StringMap b{{"y", "2"}, {"x", "1"}};
  EXPECT_EQ(a, b);
  b.set("y", "3");
  EXPECT_NE(a, b);
  StringMap c{{"x", "1"}};
  EXPECT_NE(a, c);
  // A key/value boundary moved is a different map, not the same bytes.
  EXPECT_NE((StringMap{{"ab", "c"}}), (StringMap{{"a", "bc"}}));
}

TEST(StringMapTest, SetInsertsAndReplacesKeepingOrder) {
  StringMap m;
  m.set("m", "1");
  m.set("a", "2");
  m.set("z", "3");
  m.set("m", "replaced");
  EXPECT_EQ(entries(m), (std::vector<std::pair<std::string, std::string>>{
                            {"a", "2"}, {"m", "replaced"}, {"z", "3"}}));
}

TEST(StringMapTest, EmplaceKeepsAnExistingValue) {
  StringMap m{{"a", "1"}};
  EXPECT_FALSE(m.emplace("a", "2"));
  EXPECT_TRUE(m.emplace("b", "2"));
  EXPECT_EQ(m.get("a"), "1");
  EXPECT_EQ(m.get("b"), "2");
}

TEST(StringMapTest, EraseRemovesOnlyThatKey) {
  StringMap m{{"a", "1"}, {"b", "2"}, {"c", "3"}};
  EXPECT_EQ(m.erase("b"), 1u);
  EXPECT_EQ(m.erase("b"), 0u);
  EXPECT_EQ(entries(m), (std::vector<std::pair<std::string, std::string>>{{"a", "1"}, {"c", "3"}}));
  m.erase("a");
  m.erase("c");
  EXPECT_TRUE(m.empty());
  EXPECT_EQ(m, StringMap());
}

TEST(StringMapTest, KeepsAnyBytesIncludingNulAndLongValues) {
  const std::string nul("a\0b", 3);
  const std::string big(100000, 'x');
  StringMap m{{nul, big}, {"", "empty key"}};
  EXPECT_EQ(m.get(nul), big);
  EXPECT_EQ(m.get(""), "empty key");
  EXPECT_FALSE(m.contains("a"));
}

TEST(StringMapTest, HoldsEntriesInOneBufferOfTheirBytes) {
  // Two u32 lengths per entry plus the bytes: no per-entry node or string.
  StringMap m{{"servicetoken.dev/token-id", "jti-1"}, {"a", "b"}};
  EXPECT_EQ(m.byteSize(), 2 * 8 + 25 + 5 + 1 + 1);
}

TEST(StringMapTest, CopiesAreIndependent) {
  StringMap a{{"k", "v"}};
  StringMap b = a;
  b.set("k", "w");
  EXPECT_EQ(a.get("k"), "v");
  EXPECT_EQ(b.get("k"), "w");
}

}  // namespace
