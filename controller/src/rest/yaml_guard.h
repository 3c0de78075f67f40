// A cheap scan of YAML text before it reaches yaml-cpp, whose parser recurses
// once per nesting level: a "[[[[..." or "- - - - ..." bomb would overflow the
// stack. The scan over-estimates depth (it ignores quoting), so it may reject
// odd but valid text; it never under-estimates.
#pragma once

#include <cstddef>
#include <string_view>

#include "controller/status.h"

namespace ctrl::rest {

inline constexpr size_t kMaxYamlDepth = 64;

// OK when `text` is plausible YAML text: no NUL byte and an estimated nesting
// depth of at most `maxDepth` for flow ([ {) and for block (indentation,
// "- ") structure. Errors: InvalidArgument naming the line, never quoting it.
Status checkYamlText(std::string_view text, size_t maxDepth = kMaxYamlDepth);

}  // namespace ctrl::rest
