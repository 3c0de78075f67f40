// Token lifetimes and the durations users write in a ServiceToken spec.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "api/types.h"
#include "controller/status.h"

namespace st {

using Seconds = std::chrono::seconds;

// The longest duration parseDuration accepts: 100 years (36500d), so that
// now + duration stays far inside what a WallTime (nanoseconds, up to 2262)
// can hold.
inline constexpr Seconds kMaxDuration{int64_t{36500} * 86400};

// Parses a duration made of whole-number parts with units d, h, m, s, e.g.
// "30d", "720h", "1d12h", "90m". At most 6 digits per part, 32 characters and
// kMaxDuration in total. Errors: InvalidArgument naming the problem (the
// CRD's pattern rejects most bad input first; this is the defence in depth,
// and the only check of the total).
ctrl::StatusOr<Seconds> parseDuration(std::string_view text);

// The lifetime a spec asks for: nullopt for Never.
struct Lifetime {
  std::optional<Seconds> duration;
  std::string label;  // "30d", "1y", "45d", "Never": reported in status.expiration
};

// Resolves spec.expiration / spec.expiresInDays (1y = 365 days). Errors:
// InvalidArgument when both or neither are set or a value is out of range.
ctrl::StatusOr<Lifetime> resolveLifetime(const ServiceTokenSpec& spec);

// The rotation settings in effect, defaults applied: policy Auto, renewBefore
// one third of the lifetime, gracePeriod 7 days.
struct RotationSettings {
  bool autoRotate = true;
  std::optional<Seconds> renewBefore;  // nullopt: one third of the lifetime
  Seconds gracePeriod = std::chrono::hours(24 * 7);
};

// Errors: InvalidArgument for an unparsable duration, or a renewBefore not
// shorter than the lifetime.
ctrl::StatusOr<RotationSettings> resolveRotation(const ServiceTokenSpec& spec,
                                                 const Lifetime& lifetime);

}  // namespace st
