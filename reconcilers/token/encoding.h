// Byte encodings used by JOSE: base64url without padding (RFC 7515 §2) and
// lowercase hex. Strict: decoding accepts only the canonical encoding, so one
// byte string has exactly one textual form (a JWT cannot be altered into a
// different string that still verifies).
#pragma once

#include <string>
#include <string_view>

#include "controller/status.h"

namespace st {

// Returns `data` as base64url, no padding. Thread-safe.
std::string base64UrlEncode(std::string_view data);

// Decodes unpadded base64url. Errors: InvalidArgument "not valid base64url"
// for padding, characters outside [A-Za-z0-9_-], an impossible length, or
// non-zero unused bits. The input is never quoted. Thread-safe.
ctrl::StatusOr<std::string> base64UrlDecode(std::string_view text);

// Returns `data` as lowercase hex, two characters per byte. Thread-safe.
std::string hexEncode(std::string_view data);

}  // namespace st
