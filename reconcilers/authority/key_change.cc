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

std::vector<KeyChangeEvent> keyChangeEvents(const KeyChange& change, const std::string& why) {
  std::vector<KeyChangeEvent> events;
  const std::string reason = why.empty() ? "" : " " + sentence(why);
  if (!change.revoked.empty()) {
    std::string note =
        "Withdrew signing key(s) " + joinedKids(change.revoked) + " from the JWKS at once";
    if (!change.activated.empty()) note += "; key " + change.activated + " signs from now";
    note += ". Every token the withdrawn keys signed is re-minted.";
    events.push_back({ctrl::EventType::kWarning, "SigningKeysRevoked", note + reason});
  } else if (!change.activated.empty()) {
    events.push_back({ctrl::EventType::kNormal, "SigningKeyActivated",
                      "Key " + change.activated + " signs from now; the previous key stays in " +
                          "the JWKS while a stored token needs it." + reason});
  } else if (!change.published.empty()) {
    events.push_back({ctrl::EventType::kNormal, "SigningKeyPublished",
                      "Published key " + joinedKids(change.published) +
                          " in the JWKS; it signs after the publish delay." + reason});
  }
  if (!change.dropped.empty()) {
    // Its own Event even when the same write did more: whoever watches for
    // SigningKeysDropped sees every drop.
    events.push_back({ctrl::EventType::kNormal, "SigningKeysDropped",
                      "Dropped retired key(s) " + joinedKids(change.dropped) +
                          " from the JWKS: no stored token needs them." +
                          (events.empty() ? reason : std::string())});
  }
  return events;
}

}  // namespace st
