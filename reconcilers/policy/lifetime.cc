#include "policy/lifetime.h"

#include <cctype>

namespace st {

using ctrl::Code;
using ctrl::Status;

ctrl::StatusOr<Seconds> parseDuration(std::string_view text) {
  if (text.empty() || text.size() > 32) {
    return Status(Code::kInvalidArgument,
                  "a duration must be 1 to 32 characters, e.g. 30d or 720h");
  }
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    size_t digits = 0;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])) != 0) {
      n = n * 10 + (text[i] - '0');
      ++i;
      if (++digits > 6)
        return Status(Code::kInvalidArgument, "a duration part has too many digits");
    }
    if (digits == 0 || i == text.size()) {
      return Status(Code::kInvalidArgument,
                    "a duration is whole numbers with units d, h, m or s, e.g. 30d or 1d12h");
    }
    switch (text[i]) {
      case 'd':
        total += n * 86400;
        break;
      case 'h':
        total += n * 3600;
        break;
      case 'm':
        total += n * 60;
        break;
      case 's':
        total += n;
        break;
      default:
        return Status(Code::kInvalidArgument, "a duration unit must be d, h, m or s");
    }
    ++i;
  }
  if (Seconds(total) > kMaxDuration) {
    return Status(Code::kInvalidArgument, "a duration must be at most 36500d (100 years)");
  }
  return Seconds(total);
}

ctrl::StatusOr<Lifetime> resolveLifetime(const ServiceTokenSpec& spec) {
  const bool hasExpiration = !spec.expiration.empty();
  if (hasExpiration == spec.expiresInDays.has_value()) {
    return Status(Code::kInvalidArgument,
                  "exactly one of spec.expiration and spec.expiresInDays must be set");
  }
  auto days = [](int d) { return Seconds(int64_t{d} * 86400); };
  if (spec.expiresInDays) {
    int d = *spec.expiresInDays;
    if (d < 1 || d > 365) {
      return Status(Code::kInvalidArgument, "spec.expiresInDays must be between 1 and 365");
    }
    return Lifetime{days(d), std::to_string(d) + "d"};
  }
  if (spec.expiration == "30d") return Lifetime{days(30), "30d"};
  if (spec.expiration == "60d") return Lifetime{days(60), "60d"};
  if (spec.expiration == "90d") return Lifetime{days(90), "90d"};
  if (spec.expiration == "1y") return Lifetime{days(365), "1y"};
  if (spec.expiration == "Never") return Lifetime{std::nullopt, "Never"};
  return Status(Code::kInvalidArgument, "spec.expiration must be one of 30d, 60d, 90d, 1y, Never");
}

ctrl::StatusOr<RotationSettings> resolveRotation(const ServiceTokenSpec& spec,
                                                 const Lifetime& lifetime) {
  RotationSettings out;
  const std::string& policy = spec.rotation.policy;
  if (policy == "Disabled") {
    out.autoRotate = false;
  } else if (!policy.empty() && policy != "Auto") {
    return Status(Code::kInvalidArgument, "spec.rotation.policy must be Auto or Disabled");
  }
  if (!spec.rotation.renewBefore.empty()) {
    auto d = parseDuration(spec.rotation.renewBefore);
    if (!d.isOk()) return d.status().withContext("spec.rotation.renewBefore");
    if (lifetime.duration && *d >= *lifetime.duration) {
      return Status(Code::kInvalidArgument,
                    "spec.rotation.renewBefore must be shorter than the token's lifetime (" +
                        lifetime.label + ")");
    }
    if (d->count() == 0) {
      return Status(Code::kInvalidArgument, "spec.rotation.renewBefore must be positive");
    }
    out.renewBefore = *d;
  }
  if (!spec.rotation.gracePeriod.empty()) {
    auto d = parseDuration(spec.rotation.gracePeriod);
    if (!d.isOk()) return d.status().withContext("spec.rotation.gracePeriod");
    out.gracePeriod = *d;
  }
  return out;
}

}  // namespace st
