// Kubernetes MicroTime: RFC 3339 timestamps with microseconds in UTC, as the
// API expects for Lease renewTime/acquireTime and Event eventTime
// ("2026-01-01T12:00:00.123456Z").
#pragma once

#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "controller/clock.h"

namespace ctrl {

// Formats `t` (truncated to microseconds) as a MicroTime. Thread-safe.
inline std::string formatMicroTime(WallTime t) {
  using std::chrono::duration_cast;
  using std::chrono::microseconds;
  const auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
  auto secs = static_cast<std::time_t>(us / 1000000);
  auto frac = static_cast<long>(us % 1000000);
  if (frac < 0) {  // before 1970: floor, not truncation
    frac += 1000000;
    --secs;
  }
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[80];  // room for any int fields, so no truncation warning
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  return buf;
}

}  // namespace ctrl
