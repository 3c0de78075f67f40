// What a verification reads from the informer caches, behind an interface
// so the rules are tested with plain structs and the server reads the real
// caches (informer_view.h). Every lookup is an in-memory read: no API call
// ever happens on the request path.
#pragma once

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "token/jwks.h"
#include "verifier/records.h"

namespace st::verifier {

// The signing keys in force and a number that changes whenever they do.
struct JwksSnapshot {
  std::shared_ptr<const Jwks> jwks;  // null: no JWKS loaded
  uint64_t generation = 0;
};

// The ServiceTokens holding one token id: an immutable list (null: none).
using TokenRecords = std::shared_ptr<const std::vector<std::shared_ptr<const TokenRecord>>>;

class CacheView {
 public:
  virtual ~CacheView() = default;
  // The ServiceTokens whose current or previous token has this id, or null.
  virtual TokenRecords tokensWithId(std::string_view tokenId) const = 0;
  // The ServiceUser ns/name, or null.
  virtual std::shared_ptr<const UserRecord> serviceUser(std::string_view ns,
                                                        std::string_view name) const = 0;
  virtual JwksSnapshot jwks() const = 0;
  // True once every cache has its first complete list.
  virtual bool synced() const = 0;
};

}  // namespace st::verifier
