#include "policy/schedule.h"

#include <algorithm>
#include <cstdint>

namespace st {

double jitterFraction(std::string_view uid) {
  uint64_t h = 14695981039346656037ull;
  for (char c : uid) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<double>(h % 1000000) / 1000000.0;
}

Seconds maxJitter(Seconds lifetime) {
  return std::min<Seconds>(lifetime / 100, std::chrono::hours(6));
}

std::optional<ctrl::WallTime> renewalTime(ctrl::WallTime issuedAt, const Lifetime& lifetime,
                                          const RotationSettings& rotation, std::string_view uid) {
  if (!lifetime.duration || !rotation.autoRotate) return std::nullopt;
  const Seconds life = *lifetime.duration;
  const Seconds before = rotation.renewBefore.value_or(life / 3);
  const auto jitter = std::chrono::duration_cast<Seconds>(std::chrono::duration<double>(
      static_cast<double>(maxJitter(life).count()) * jitterFraction(uid)));
  const auto floor = issuedAt + std::chrono::duration_cast<Seconds>(std::chrono::duration<double>(
                                    static_cast<double>(life.count()) * kRenewalFloorFraction));
  return std::max<ctrl::WallTime>(floor, issuedAt + life - before - jitter);
}

ctrl::WallTime retainedUntil(ctrl::WallTime rotatedAt, Seconds gracePeriod,
                             std::optional<ctrl::WallTime> previousExpiresAt) {
  ctrl::WallTime until = rotatedAt + gracePeriod;
  if (previousExpiresAt && *previousExpiresAt < until) until = *previousExpiresAt;
  return until;
}

}  // namespace st
