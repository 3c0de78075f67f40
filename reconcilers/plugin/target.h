// What a kubectl-servicetoken command acts on (one ServiceToken by namespace
// and name), the plugin's exit codes, and how a failed lookup reads to a human.
#pragma once

#include <string>

#include "controller/status.h"

namespace st::plugin {

inline constexpr int kExitOk = 0;
inline constexpr int kExitError = 1;
inline constexpr int kExitUsage = 2;  // bad flags or arguments (decided by the parser)

struct Target {
  std::string ns;
  std::string name;
};

// The error to show for a failed read or write of the ServiceToken itself:
// NotFound becomes "servicetoken NAME not found in namespace NS"; every other
// error (Forbidden, Unauthorized, ...) keeps the server's own message.
ctrl::Status tokenError(const ctrl::Status& status, const Target& target);

// kExitOk for OK, kExitError for any error.
int exitCodeFor(const ctrl::Status& status);

}  // namespace st::plugin
