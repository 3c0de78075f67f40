#include "verifier/verified_cache.h"

namespace st::verifier {

VerifiedTokenCache::VerifiedTokenCache(size_t capacity)
    : perShard_(capacity == 0 ? 0 : (capacity + kShards - 1) / kShards) {}

VerifiedTokenCache::Shard& VerifiedTokenCache::shardFor(std::string_view hash) const {
  // The hash is hex of SHA-256: any two characters are uniformly spread.
  const size_t h = hash.empty() ? 0 : static_cast<unsigned char>(hash.back());
  return shards_[h % kShards];
}

std::shared_ptr<const SignedJwt> VerifiedTokenCache::get(std::string_view hash,
                                                         uint64_t jwksGeneration) const {
  if (perShard_ == 0) return nullptr;
  Shard& shard = shardFor(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(hash);
  if (it == shard.entries.end() || it->second.generation != jwksGeneration) return nullptr;
  return it->second.jwt;
}

void VerifiedTokenCache::put(std::string_view hash, uint64_t jwksGeneration,
                             std::shared_ptr<const SignedJwt> jwt) {
  if (perShard_ == 0) return;
  Shard& shard = shardFor(hash);
  std::shared_ptr<const SignedJwt> evicted;  // released outside the lock
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(hash);
  if (it != shard.entries.end()) {
    evicted = std::move(it->second.jwt);
    it->second = {jwksGeneration, std::move(jwt)};
    return;
  }
  if (shard.entries.size() >= perShard_) {
    evicted = std::move(shard.entries.begin()->second.jwt);
    shard.entries.erase(shard.entries.begin());
    size_.fetch_sub(1, std::memory_order_relaxed);
  }
  shard.entries.emplace(std::string(hash), Entry{jwksGeneration, std::move(jwt)});
  size_.fetch_add(1, std::memory_order_relaxed);
}

void VerifiedTokenCache::erase(std::string_view hash) {
  if (perShard_ == 0) return;
  Shard& shard = shardFor(hash);
  std::lock_guard lock(shard.mu);
  auto it = shard.entries.find(hash);
  if (it != shard.entries.end()) {
    shard.entries.erase(it);
    size_.fetch_sub(1, std::memory_order_relaxed);
  }
}

void VerifiedTokenCache::clear() {
  for (Shard& shard : shards_) {
    std::lock_guard lock(shard.mu);
    size_.fetch_sub(shard.entries.size(), std::memory_order_relaxed);
    shard.entries.clear();
  }
}

}  // namespace st::verifier
