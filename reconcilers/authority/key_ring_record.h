// The signing-key Secret as a whole: the keys (token/key_store.h) plus their
// history (KeyRingRecord) under the data key `ring.json`, and the change a
// rotation decision makes to both.
//
// ring.json (at most 16 KiB, depth 4):
//   {"keys": {"<kid>": {"created": RFC3339, "activated": RFC3339,
//                       "retired": RFC3339}},
//    "revoked": {"<kid>": RFC3339},
//    "honouredRequest": "<rotate-signing-key annotation value>"}
// A Secret written before rotation existed has no ring.json: its active key
// counts as activated when the Secret was created (normaliseRecord).
#pragma once

#include <functional>
#include <string>

#include "api/types.h"
#include "authority/key_rotation_policy.h"
#include "controller/status.h"
#include "token/key_store.h"

namespace st {

inline constexpr std::string_view kRingRecordKey = "ring.json";
inline constexpr size_t kMaxRingRecordBytes = 16 * 1024;

// Parses ring.json. Errors: InvalidArgument naming the field at fault
// (larger than kMaxRingRecordBytes, not JSON, a time that is not RFC 3339).
ctrl::StatusOr<KeyRingRecord> parseRingRecord(std::string_view json);
std::string formatRingRecord(const KeyRingRecord& record);

// The record restricted to the ring's kids, with times for every key: a key
// the record does not know counts as activated at `fallback` when it is the
// active one, else as retired at `fallback`.
KeyRingRecord normaliseRecord(const KeyRingRecord& record, const SigningKeyRing& ring,
                              ctrl::WallTime fallback);

struct KeyRingState {
  SigningKeyRing ring;
  KeyRingRecord record;
};

using KeyGenerator = std::function<ctrl::StatusOr<SigningKey>()>;

// The ring and record after `decision` at `now`; new keys come from
// `generate`. Errors: those of `generate`, InvalidArgument when the result
// would break the ring's invariants (too many keys).
ctrl::StatusOr<KeyRingState> applyKeyRotation(const KeyRingState& state,
                                              const RotationDecision& decision, ctrl::WallTime now,
                                              const KeyGenerator& generate);

// The Secret data for `state`: the ring's entries plus ring.json.
ctrl::StatusOr<SecretData> toSecretData(const KeyRingState& state);

}  // namespace st
