#include "authority/key_change.h"

namespace st {
namespace {

std::string sentence(std::string why) {
  if (!why.empty() && why.back() != '.') why += '.';
  return why;
}

}  // namespace

std::string joinedKids(const std::vector<std::string>& kids) {
  std::string out;
  for (const std::string& kid : kids) out += (out.empty() ? "" : ", ") + kid;
  return out;
}

KeyChange describeKeyChange(const KeyRingState& before, const KeyRingState& after) {
  KeyChange c;
  for (const auto& [kid, times] : after.record.keys) {
    if (!before.record.keys.contains(kid)) c.published.push_back(kid);
  }
  for (const auto& [kid, at] : after.record.revoked) {
    if (!before.record.revoked.contains(kid)) c.revoked.push_back(kid);
  }
  for (const auto& [kid, times] : before.record.keys) {
    if (!after.record.keys.contains(kid) && !after.record.revoked.contains(kid)) {
      c.dropped.push_back(kid);
    }
  }
  const std::string active = after.ring.active().kid();
  if (active != before.ring.active().kid()) c.activated = active;
  return c;
}

std::optional<KeyChangeEvent> keyChangeEvent(const KeyChange& change, const std::string& why) {
  if (change.empty()) return std::nullopt;
  const std::string reason = why.empty() ? "" : " " + sentence(why);
  if (!change.revoked.empty()) {
    std::string note =
        "Withdrew signing key(s) " + joinedKids(change.revoked) + " from the JWKS at once";
    if (!change.activated.empty()) note += "; key " + change.activated + " signs from now";
    note += ". Every token the withdrawn keys signed is re-minted.";
    return KeyChangeEvent{ctrl::EventType::kWarning, "SigningKeysRevoked", note + reason};
  }
  if (!change.activated.empty()) {
    std::string note = "Key " + change.activated + " signs from now; the previous key stays in " +
                       "the JWKS while a stored token needs it.";
    if (!change.dropped.empty()) note += " Dropped " + joinedKids(change.dropped) + ".";
    return KeyChangeEvent{ctrl::EventType::kNormal, "SigningKeyActivated", note + reason};
  }
  if (!change.published.empty()) {
    std::string note = "Published key " + joinedKids(change.published) +
                       " in the JWKS; it signs after the publish delay.";
    if (!change.dropped.empty()) note += " Dropped " + joinedKids(change.dropped) + ".";
    return KeyChangeEvent{ctrl::EventType::kNormal, "SigningKeyPublished", note + reason};
  }
  return KeyChangeEvent{ctrl::EventType::kNormal, "SigningKeysDropped",
                        "Dropped retired key(s) " + joinedKids(change.dropped) +
                            " from the JWKS: no stored token needs them." + reason};
}

}  // namespace st
