// A cache of signature checks: token hash ("sha256:<hex>") -> the verified
// claims, so a known token costs a hash and a map lookup instead of a
// signature verification and a JSON parse.
//
// It holds only what cannot change while the signing keys stay the same (a
// signature and the claims it covers): every entry records the JWKS
// generation it was verified under and counts as absent under another. The
// revocation and grant checks never come from here; they read the live
// caches on every request, so a revoked token is never served from this
// cache. Entries whose token left its ServiceToken are dropped with
// erase() to free the memory.
//
// Sharded, one mutex per shard; when a shard is full an arbitrary entry of
// it is evicted. Thread-safe.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "token/jwt.h"

namespace st::verifier {

class VerifiedTokenCache {
 public:
  // `capacity` entries at most (0 disables the cache).
  explicit VerifiedTokenCache(size_t capacity);

  // The claims verified for `hash` under `jwksGeneration`, or null.
  std::shared_ptr<const SignedJwt> get(std::string_view hash, uint64_t jwksGeneration) const;
  void put(std::string_view hash, uint64_t jwksGeneration, std::shared_ptr<const SignedJwt> jwt);
  void erase(std::string_view hash);
  void clear();
  // Entries held now. Lock-free.
  size_t size() const { return size_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    uint64_t generation = 0;
    std::shared_ptr<const SignedJwt> jwt;
  };
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  struct Shard {
    mutable std::mutex mu;
    std::unordered_map<std::string, Entry, Hash, std::equal_to<>> entries;
  };
  static constexpr size_t kShards = 16;

  Shard& shardFor(std::string_view hash) const;

  size_t perShard_;
  std::atomic<size_t> size_{0};
  mutable std::array<Shard, kShards> shards_;
};

}  // namespace st::verifier
