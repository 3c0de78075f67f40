// The write half of the plugin's commands that change a ServiceToken (rotate,
// revoke): one merge patch of the ServiceToken, then the name of the Secret
// its token lives in, for the message the command prints.
#pragma once

#include <string>

#include "controller/client.h"
#include "controller/status.h"
#include "plugin/target.h"

namespace st::plugin {

// Sends `patch` (a JSON merge patch) to the ServiceToken `target` and returns
// the Secret that holds its token: status.secretName once the operator wrote
// it, else the spec's Secret name, else the ServiceToken's own name.
// Errors: tokenError() of the PATCH.
ctrl::StatusOr<std::string> patchServiceToken(ctrl::Writer& client, const Target& target,
                                              const ctrl::Json& patch);

}  // namespace st::plugin
