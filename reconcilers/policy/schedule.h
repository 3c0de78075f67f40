// When a token renews and how long a replaced token is kept (PRODUCT.md §3
// rule 3). Pure functions of their arguments.
#pragma once

#include <optional>
#include <string_view>

#include "controller/clock.h"
#include "policy/lifetime.h"

namespace st {

// The jitter for one object: a deterministic fraction in [0, 1) derived from
// its UID (FNV-1a), so a fleet applied at once spreads its rotations while
// each object keeps the same schedule across restarts.
double jitterFraction(std::string_view uid);

// The largest jitter for a lifetime: 1% of it, at most 6 hours.
Seconds maxJitter(Seconds lifetime);

// The renewal floor: a token is never renewed before this fraction of its
// lifetime has passed, whatever renewBefore and the jitter say. Without it a
// renewBefore close to the lifetime puts renewal before issuedAt, and every
// mint finds the next one due at once (a mint loop). The CRD refuses a
// renewBefore above half the lifetime for the same reason.
inline constexpr double kRenewalFloorFraction = 0.5;

// expiresAt - renewBefore (default lifetime/3) - jitter, but never earlier
// than issuedAt + kRenewalFloorFraction * lifetime. The jitter only moves
// rotation earlier. nullopt for Never or when rotation is not Auto.
std::optional<ctrl::WallTime> renewalTime(ctrl::WallTime issuedAt, const Lifetime& lifetime,
                                          const RotationSettings& rotation, std::string_view uid);

// How long the previous token stays in the Secret after a rotation at
// `rotatedAt`: the grace period, or until it expires, whichever comes first.
// Preconditions: gracePeriod <= kMaxDuration (as parseDuration ensures), so
// the sum fits a WallTime.
ctrl::WallTime retainedUntil(ctrl::WallTime rotatedAt, Seconds gracePeriod,
                             std::optional<ctrl::WallTime> previousExpiresAt);

}  // namespace st
