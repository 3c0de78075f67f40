// Turns one log record into one line of JSON or klog-style text. Pure
// functions of their input, so the formats are testable without a sink.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "controller/log.h"
#include "controller/source_location.h"

namespace ctrl::log::internal {

struct Record {
  std::chrono::system_clock::time_point time;
  int level = kInfoLevel;  // kErrorLevel, kWarnLevel or a V level >= 0
  long threadId = 0;
  std::string_view logger;
  std::string_view msg;
  SourceLocation loc;
  std::string_view error;  // "" when none
  const std::vector<Field>* loggerValues = nullptr;
  Fields fields;
};

// {"ts":…,"level":…,"msg":…,["logger":…,]"caller":…,["v":n,]["error":…,]fields…}
// No trailing newline.
std::string renderJson(const Record& record);

// I0102 03:04:05.123456   12345 file.cc:42] "msg" [logger="…"] [error="…"] k=v …
// No trailing newline.
std::string renderText(const Record& record);

}  // namespace ctrl::log::internal
