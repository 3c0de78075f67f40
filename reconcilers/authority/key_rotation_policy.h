// "What should happen to the signing keys now?" as one pure function of the
// key ring's history, the clock, the settings and the kids the stored tokens
// were signed with. The key rotator (key_rotator.h) gathers the input, asks,
// and acts with compare-and-swap on the key Secret.
//
// A key's life: created (published in the JWKS, not signing) -> activated
// (signs new tokens) -> retired (another key signs; still published) ->
// dropped (gone from the Secret and the JWKS). The rules:
//  - a new key is published for at least the publish delay before it signs,
//    so verifiers that cache the JWKS know it before they meet its tokens;
//  - a scheduled rotation creates the next key `publishDelay` before the
//    active key has signed for `interval`, and promotes it at `interval`;
//  - a retired key stays published while an unexpired token it signed is
//    stored (the current token or the previous one within its grace period),
//    and for at least the publish delay after it retired (a mint in flight
//    when it retired reaches the caches by then);
//  - an on-demand request (the rotate-signing-key annotation) rotates as the
//    schedule does, only now; with retire-old (a compromise) a fresh key
//    signs at once and every other key is revoked: it leaves the Secret and
//    the JWKS at once, and is remembered as revoked while tokens it signed
//    are stored, so they are re-minted (TriggerReason::kSigningKeyRetired).
//    Every key sits in the same Secret, so a compromise of one is a
//    compromise of all: none of them is kept.
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "controller/clock.h"

namespace st {

// When a key entered each stage. Times are whole seconds (RFC 3339 in the
// Secret).
struct KeyTimes {
  ctrl::WallTime created{};
  std::optional<ctrl::WallTime> activated;  // nullopt: published, not signing yet
  std::optional<ctrl::WallTime> retired;    // another key took over
  bool operator==(const KeyTimes&) const = default;
};

// The ring's history, stored next to the keys (key_ring_record.h).
struct KeyRingRecord {
  std::map<std::string, KeyTimes> keys;           // by kid: every key in the ring
  std::map<std::string, ctrl::WallTime> revoked;  // kid -> when it was withdrawn
  std::string honouredRequest;                    // the last request value acted on
  bool operator==(const KeyRingRecord&) const = default;
};

struct RotationInput {
  std::string activeKid;
  KeyRingRecord record;  // normalised: every kid of the ring has times
  ctrl::WallTime now{};
  ctrl::Duration interval{};  // zero: no scheduled rotation
  ctrl::Duration publishDelay{};
  // The kids of the unexpired tokens stored in Secrets; nullopt while that is
  // not known (caches not synced): then nothing is dropped or forgotten.
  std::optional<std::set<std::string>> kidsInUse;
  std::string request;     // the rotate-signing-key annotation ("" none)
  bool retireOld = false;  // the retire-old annotation is "true"
  size_t maxKeys = 16;
};

struct RotationDecision {
  bool createNext = false;        // generate a key: published now, signing later
  std::string promote;            // this (next) kid signs from now; the active one retires
  bool replaceAll = false;        // retire-old: a fresh key signs now, every other is revoked
  std::vector<std::string> drop;  // retired keys no stored token needs
  std::vector<std::string> forgetRevoked;  // revoked kids no stored token carries
  std::string honour;                      // the request value to record as acted on
  std::optional<ctrl::WallTime> wakeAt;    // when to look again at the latest
  std::string message;                     // why, a human sentence ("" when nothing happens)

  bool changes() const {
    return createNext || !promote.empty() || replaceAll || !drop.empty() ||
           !forgetRevoked.empty() || !honour.empty();
  }
};

RotationDecision decideKeyRotation(const RotationInput& in);

// The kid of the key that was created last and never activated ("" none).
std::string nextKeyId(const KeyRingRecord& record);

// When the scheduled rotation of `activeKid` is due: the time it began
// signing (its creation time when the record has no activation; `now` when
// the record does not know it) plus `interval`. nullopt when `interval` is
// zero (rotations only on request).
std::optional<ctrl::WallTime> scheduledRotationAt(const KeyRingRecord& record,
                                                  const std::string& activeKid,
                                                  ctrl::Duration interval, ctrl::WallTime now);

}  // namespace st
