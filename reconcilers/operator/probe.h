// `servicetoken-operator --probe URL`: one GET of a plain-HTTP URL, success on
// a 2xx answer. The chart's `helm test` Pod runs the operator image this way
// against the operator's /readyz: the image has no shell and no curl.
#pragma once

#include <ostream>
#include <string>

#include "controller/status.h"

namespace st {

struct ProbeTarget {
  std::string server;  // "http://host:port"
  std::string target;  // "/readyz", with any query
};

// Splits "http://host[:port][/path]". Errors: InvalidArgument for another
// scheme, an empty host, or a URL longer than 2048 characters.
ctrl::StatusOr<ProbeTarget> parseProbeUrl(const std::string& url);

// GETs `url` (10 s timeout) and prints one line about the answer to `out`
// (success) or `err`. Returns the process exit code: 0 for 2xx, 1 otherwise
// (also when unreachable), 2 for a malformed URL. The body is not printed.
int runProbe(const std::string& url, std::ostream& out, std::ostream& err);

}  // namespace st
