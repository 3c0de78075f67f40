// The status a ServiceToken should have, computed from what the reconciler
// gathered and did (PRODUCT.md §2): phase, the Ready / Issuing / Stalled
// conditions with observedGeneration, and every status field. Pure, so the
// status rules are tested with struct literals; the reconciler writes the
// result only when it differs from the current status.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/types.h"
#include "controller/clock.h"
#include "policy/issue_policy.h"
#include "servicetoken/issued_state.h"

namespace st {

// Why a token cannot be minted now. Stalled ones need a human.
enum class Blocker {
  kNone,
  kInvalidSpec,          // stalled
  kDuplicateName,        // stalled
  kSecretNotOwned,       // stalled
  kServiceUserNotFound,  // waits for the user; a token it held is revoked
  kServiceUserNotReady,  // waits for the user
  kMintRateExceeded,     // stalled: the mint-rate guard (policy/mint_guard.h)
  kMintRejected,         // stalled: the API server refused a write for good (failure.h)
  kRevoked,              // spec.revoked: never minted again; phase Revoked (not stalled: final)
};

const char* blockerReason(Blocker b);
bool isStalled(Blocker b);

struct StatusInput {
  const ServiceToken* token = nullptr;
  Blocker blocker = Blocker::kNone;
  std::string blockerMessage;
  std::string secretName;
  std::string subject;                // status.serviceUserId
  std::string lifetimeLabel;          // status.expiration
  std::optional<IssuedState> issued;  // the Secret's token, when an owned Secret exists
  std::optional<ctrl::WallTime> renewalTime;
  std::optional<Trigger> pendingTrigger;  // a mint is due but did not happen
  int32_t failedAttempts = 0;             // consecutive failures, 0 after success
  std::string lastFailureTime;
  std::string failureReason;   // the latest failure's reason (failure.h), when failedAttempts > 0
  std::string failureMessage;  // the latest failure, when failedAttempts > 0
  std::vector<std::string> automaticMints;  // the mint-rate guard's memory
  ctrl::WallTime now{};
};

ServiceTokenStatus desiredStatus(const StatusInput& in);

}  // namespace st
