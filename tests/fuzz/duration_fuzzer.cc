// Durations and timestamps users can write: st::parseDuration (spec.rotation
// renewBefore and gracePeriod) followed by the schedule the issuer computes
// from them, and ctrl::parseRfc3339 (object timestamps, and the expiry
// annotations on token Secrets, which users can edit). Properties: no crash
// or overflow; parseDuration accepts exactly the CRD's pattern
// ^([0-9]{1,6}(d|h|m|s))+$ of at most 32 characters, up to kMaxDuration; a
// parsed timestamp formats to one that parses back to the same second.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <regex>
#include <string>

#include "controller/object_meta.h"
#include "fuzz_check.h"
#include "policy/lifetime.h"
#include "policy/schedule.h"

namespace {

using stfuzz::check;

bool matchesCrdPattern(std::string_view text) {
  static const std::regex kPattern("([0-9]{1,6}(d|h|m|s))+");
  return text.size() <= 32 && std::regex_match(text.begin(), text.end(), kPattern);
}

// What the issuer does with a spec: resolve the lifetime and rotation, then
// compute the renewal time and how long a replaced token is kept.
void schedule(std::string_view duration, size_t variant) {
  st::ServiceTokenSpec spec;
  static const char* const kExpirations[] = {"30d", "1y", "Never"};
  spec.expiration = kExpirations[variant % 3];
  spec.rotation.renewBefore = std::string(duration);
  spec.rotation.gracePeriod = std::string(duration);
  auto lifetime = st::resolveLifetime(spec);
  check(lifetime.isOk(), "a fixed expiration does not resolve");
  auto rotation = st::resolveRotation(spec, *lifetime);
  if (!rotation.isOk()) return;
  const ctrl::WallTime now{std::chrono::seconds(1767225600)};  // 2026-01-01T00:00:00Z
  auto renewal = st::renewalTime(now, *lifetime, *rotation, "3c1e6a9e-1f4b-4c1e-9d9e-0a1b2c3d4e5f");
  if (renewal) (void)ctrl::formatRfc3339(*renewal);
  std::optional<ctrl::WallTime> expiresAt;
  if (lifetime->duration) expiresAt = now + *lifetime->duration;
  (void)ctrl::formatRfc3339(st::retainedUntil(now, rotation->gracePeriod, expiresAt));
  (void)ctrl::formatRfc3339(st::retainedUntil(now, rotation->gracePeriod, std::nullopt));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stfuzz::asText(data, size);

  auto duration = st::parseDuration(text);
  if (duration.isOk()) {
    check(matchesCrdPattern(text), "parseDuration accepted what the CRD pattern refuses");
    check(duration->count() >= 0 && *duration <= st::kMaxDuration, "a duration out of range");
  } else if (matchesCrdPattern(text)) {
    check(duration.status().message().find("at most") != std::string::npos,
          "parseDuration refused a duration the CRD accepts, and not for its length");
  }
  schedule(text, size);

  auto time = ctrl::parseRfc3339(text);
  if (time.isOk()) {
    const std::string formatted = ctrl::formatRfc3339(*time);
    auto again = ctrl::parseRfc3339(formatted);
    check(again.isOk(), "a formatted timestamp does not parse");
    check(std::chrono::floor<std::chrono::seconds>(*again) ==
              std::chrono::floor<std::chrono::seconds>(*time),
          "a timestamp round trip changed the second");
  }
  return 0;
}
