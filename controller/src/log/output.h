// The process-wide log output: format, verbosity and an spdlog logger whose
// sink does the locking and writing. Private to the log component.
#pragma once

#include <string_view>

#include "log/render.h"

namespace ctrl::log::internal {

// Renders `record` in the configured format and writes it as one line.
// Thread-safe.
void write(const Record& record);

}  // namespace ctrl::log::internal
