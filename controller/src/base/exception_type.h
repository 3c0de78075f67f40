// Naming an exception without quoting it. what() of a library exception can
// quote its input (nlohmann's parse_error quotes the text near the error,
// which may be a token), so logs, statuses and probes report only the
// exception's type.
#pragma once

#include <string>

namespace ctrl::internal {

// The demangled type of the exception being handled ("std::runtime_error"),
// or "unknown" outside a handler. Call it inside a catch block.
std::string currentExceptionType();

}  // namespace ctrl::internal
