#include "servicetoken/display_names.h"

#include <functional>

#include "servicetoken/issued_state.h"

namespace st {
namespace {

bool older(const ServiceToken& a, const ServiceToken& b) {
  if (a.meta.creationTimestamp != b.meta.creationTimestamp) {
    return a.meta.creationTimestamp < b.meta.creationTimestamp;
  }
  return a.meta.name < b.meta.name;
}

}  // namespace

bool holdsDisplayName(const ServiceToken& token, const TokenSecret* ownedSecret,
                      std::string_view mintedName) {
  if (!mintedName.empty()) return mintedName == token.spec.displayName;
  if (ownedSecret == nullptr) return false;
  auto it = ownedSecret->meta.annotations.find(kDisplayNameAnnotation);
  if (it == ownedSecret->meta.annotations.end()) return true;
  return it->second == token.spec.displayName;
}

const ServiceToken* displayNameOwner(const std::vector<NameClaimant>& claimants) {
  const NameClaimant* best = nullptr;
  for (const NameClaimant& c : claimants) {
    if (best == nullptr || (c.holds && !best->holds) ||
        (c.holds == best->holds && older(*c.token, *best->token))) {
      best = &c;
    }
  }
  return best == nullptr ? nullptr : best->token;
}

std::mutex& DisplayNameLocks::forKey(std::string_view key) {
  return stripes_[std::hash<std::string_view>{}(key) % stripes_.size()];
}

}  // namespace st
