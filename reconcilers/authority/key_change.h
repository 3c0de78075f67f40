// What one write of the signing-key Secret changed, told to people: the
// Event on the key Secret and the servicetoken_signing_key_changes_total
// counters (authority/key_metrics.h). Pure: computed from the ring before
// and after the write. Names kids only, never key material.
#pragma once

#include <string>
#include <vector>

#include "authority/key_ring_record.h"
#include "controller/event_recorder.h"

namespace st {

struct KeyChange {
  std::vector<std::string> published;  // new keys: in the JWKS from now
  std::string activated;               // the kid that signs from now; "" unchanged
  std::vector<std::string> revoked;    // withdrawn at once (retire-old)
  std::vector<std::string> dropped;    // retired, no stored token needs them: out of the JWKS

  bool empty() const {
    return published.empty() && activated.empty() && revoked.empty() && dropped.empty();
  }
  bool operator==(const KeyChange&) const = default;
};

KeyChange describeKeyChange(const KeyRingState& before, const KeyRingState& after);

// "kid1, kid2" (for notes and log fields).
std::string joinedKids(const std::vector<std::string>& kids);

struct KeyChangeEvent {
  ctrl::EventType type = ctrl::EventType::kNormal;
  std::string reason;  // PascalCase
  std::string note;    // a sentence naming the kids and `why`
};

// The Events for `change`, the most serious first: Warning
// SigningKeysRevoked when keys were withdrawn, else Normal SigningKeyActivated
// or SigningKeyPublished; then Normal SigningKeysDropped when retired keys
// left the JWKS, as an Event of its own even when the same write did more.
// `why`, the decision's own sentence, ends the first Event's note. Empty for
// an empty change (a write that only recorded a request or forgot withdrawn
// kids no token carries).
std::vector<KeyChangeEvent> keyChangeEvents(const KeyChange& change, const std::string& why);

}  // namespace st
