#include "servicetoken/wake_up.h"

namespace st {

std::optional<ctrl::Duration> nextWakeUp(const WakeUpInput& in) {
  std::optional<ctrl::WallTime> wake;
  for (const auto& at : {in.retryAt, in.renewalTime, in.expiresAt, in.previousRetainedUntil,
                         in.foreignSecretRecheck}) {
    if (at && *at > in.now && (!wake || *at < *wake)) wake = at;
  }
  if (!wake) return std::nullopt;
  return std::chrono::duration_cast<ctrl::Duration>(*wake - in.now) + std::chrono::milliseconds(1);
}

}  // namespace st
