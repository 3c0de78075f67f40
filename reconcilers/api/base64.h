// Standard base64 (RFC 4648 §4, padded), the encoding of Secret data.
#pragma once

#include <string>
#include <string_view>

#include "controller/status.h"

namespace st {

std::string base64Encode(std::string_view data);
// Errors: InvalidArgument for malformed input (the input is never quoted).
ctrl::StatusOr<std::string> base64Decode(std::string_view text);

}  // namespace st
