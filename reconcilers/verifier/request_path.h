// The path of the original request, normalised the way the most lenient
// upstream might read it, so that a scope decision made on it cannot be
// bypassed by spelling a path differently:
//
//   1. at most kMaxUriBytes; an absolute-form URI ("https://host/p") keeps
//      only its path; the query and fragment are dropped;
//   2. percent-decoding, once; a malformed escape, a decoded control
//      character or a '%' left after decoding (double encoding) is an error;
//   3. '\' reads as '/' (some servers do so);
//   4. path parameters are dropped from every segment ("..;x" reads as "..",
//      as Tomcat and Jetty read it);
//   5. empty segments (duplicate slashes) and "." are dropped, ".." removes
//      the segment before it (RFC 3986 §5.2.4; never above the root);
//   6. at most kMaxSegments segments.
//
// The result starts with '/', and ends with '/' when the input did.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "controller/status.h"

namespace st::verifier {

inline constexpr size_t kMaxUriBytes = 8 * 1024;
inline constexpr size_t kMaxSegments = 256;

// Normalises `uri` (a request-target: origin-form or absolute-form). Errors:
// InvalidArgument naming the problem (never quoting the URI). Pure,
// thread-safe.
ctrl::StatusOr<std::string> normalizeRequestPath(std::string_view uri);

// The only paths a SCIM-only token may call: "/scim/v2/" and below, the
// prefix compared without regard to case (an upstream may route
// "/SCIM/V2/Users" to SCIM; no spelling of the prefix reaches anything else).
inline constexpr std::string_view kScimPrefix = "/scim/v2/";

// Whether a normalised path lies under kScimPrefix.
bool isScimPath(std::string_view normalizedPath);

}  // namespace st::verifier
