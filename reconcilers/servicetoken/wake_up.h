// When a ServiceToken needs attention next: the earliest future moment among
// a retry, its renewal, its expiry, the end of a grace period and, while a
// foreign Secret holds its name, the next look at it. Pure.
#pragma once

#include <optional>

#include "controller/clock.h"

namespace st {

struct WakeUpInput {
  ctrl::WallTime now{};
  std::optional<ctrl::WallTime> retryAt;
  std::optional<ctrl::WallTime> renewalTime;  // only when nothing blocks minting
  std::optional<ctrl::WallTime> expiresAt;
  std::optional<ctrl::WallTime> previousRetainedUntil;
  std::optional<ctrl::WallTime> foreignSecretRecheck;
};

// How long from `now` to wait (1 ms past the moment, so it is due when the
// clock reaches it), or nullopt when only a change will need a reconcile.
std::optional<ctrl::Duration> nextWakeUp(const WakeUpInput& in);

}  // namespace st
