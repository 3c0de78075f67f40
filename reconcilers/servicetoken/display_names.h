// Display names are unique per user (PRODUCT.md §1): of the ServiceTokens of
// one user (or owner) that ask for the same display name, exactly one may
// hold a token under it.
//
// The rule is deterministic, so every replica and every worker reaches the
// same answer from the same facts: the token that already holds a live token
// minted under the name keeps it (renaming another token onto a taken name
// does not take it away); among tokens that hold none, the oldest (creation
// time, then name) wins. Exclusivity inside the leader comes from
// DisplayNameLocks: the decision and the mint for one name happen under one
// lock, and what this process minted is visible to the next decision before
// the cache shows it. Across leaders, the fence (a replica stops writing
// before another can lead) and the new leader's fresh LIST make the facts
// complete.
#pragma once

#include <array>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "api/types.h"

namespace st {

struct NameClaimant {
  const ServiceToken* token = nullptr;
  bool holds = false;  // holds a live token minted under its current display name
};

// Whether `token` holds a live token minted under its current display name,
// judged from its owned Secret (null when none is cached) and what this
// process minted for it (`mintedName`, "" when nothing). Secrets written
// before the display-name annotation existed count as holding.
bool holdsDisplayName(const ServiceToken& token, const TokenSecret* ownedSecret,
                      std::string_view mintedName);

// The claimant that owns the name; `claimants` holds at least one entry.
const ServiceToken* displayNameOwner(const std::vector<NameClaimant>& claimants);

// Striped locks keyed by the display-name index key. Thread-safe.
class DisplayNameLocks {
 public:
  std::mutex& forKey(std::string_view key);

 private:
  std::array<std::mutex, 64> stripes_;
};

}  // namespace st
