// The verified-token cache: generations, capacity, erase, size.
#include "verifier/verified_cache.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using st::verifier::VerifiedTokenCache;

std::shared_ptr<const st::SignedJwt> jwt(const std::string& id) {
  st::SignedJwt j;
  j.claims.tokenId = id;
  return std::make_shared<const st::SignedJwt>(j);
}

TEST(VerifiedCache, AnEntryCountsOnlyUnderItsJwksGeneration) {
  VerifiedTokenCache cache(100);
  cache.put("sha256:aa", 1, jwt("a"));
  ASSERT_TRUE(cache.get("sha256:aa", 1));
  EXPECT_EQ(cache.get("sha256:aa", 1)->claims.tokenId, "a");
  EXPECT_FALSE(cache.get("sha256:aa", 2));
  EXPECT_FALSE(cache.get("sha256:ab", 1));
  cache.put("sha256:aa", 2, jwt("a2"));
  EXPECT_EQ(cache.get("sha256:aa", 2)->claims.tokenId, "a2");
  EXPECT_EQ(cache.size(), 1u);
}

TEST(VerifiedCache, StaysWithinItsCapacity) {
  VerifiedTokenCache cache(32);
  for (int i = 0; i < 1000; ++i) cache.put("sha256:" + std::to_string(i), 1, jwt("x"));
  EXPECT_LE(cache.size(), 32u);
  EXPECT_GT(cache.size(), 0u);
}

TEST(VerifiedCache, EraseClearAndDisabled) {
  VerifiedTokenCache cache(100);
  cache.put("sha256:1", 1, jwt("1"));
  cache.put("sha256:2", 1, jwt("2"));
  cache.erase("sha256:1");
  EXPECT_FALSE(cache.get("sha256:1", 1));
  EXPECT_EQ(cache.size(), 1u);
  cache.clear();
  EXPECT_EQ(cache.size(), 0u);
  VerifiedTokenCache off(0);
  off.put("sha256:1", 1, jwt("1"));
  EXPECT_FALSE(off.get("sha256:1", 1));
  EXPECT_EQ(off.size(), 0u);
}

}  // namespace
