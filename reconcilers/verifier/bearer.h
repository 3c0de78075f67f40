// Extracting the bearer token from an Authorization header (RFC 6750 §2.1):
//
//   credentials = "Bearer" 1*SP b64token
//   b64token    = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
//
// The scheme is case-insensitive (RFC 9110 §11.1); optional whitespace around
// the field value is ignored. A header longer than kMaxAuthorizationBytes is
// refused before anything else looks at it.
#pragma once

#include <cstddef>
#include <string_view>

#include "token/jwt.h"

namespace st::verifier {

// "Bearer " plus the largest token the verifier accepts, plus a little room
// for whitespace.
inline constexpr size_t kMaxAuthorizationBytes = kMaxTokenBytes + 64;

enum class BearerResult {
  kOk,
  kMissing,    // no header, an empty one, or another scheme (Basic, ...)
  kMalformed,  // "Bearer" with no token or characters outside b64token
  kTooLarge,   // longer than kMaxAuthorizationBytes
};

struct Bearer {
  BearerResult result = BearerResult::kMissing;
  std::string_view token;  // a view into the header; set only for kOk
};

// Parses an Authorization header value ("" when the header is absent).
// Pure and thread-safe; the result views `header`.
Bearer extractBearer(std::string_view header);

}  // namespace st::verifier
