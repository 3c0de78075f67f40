// `kubectl servicetoken status`: a ServiceToken's status in plain words, as a
// pure function of the decoded object and the current time, so every wording
// is testable with a struct literal. The ServiceToken never holds a token
// value (only its id and hash), so nothing printed here can leak one; the
// hash is not printed either.
#pragma once

#include <string>

#include "api/types.h"
#include "controller/clock.h"

namespace st::plugin {

// The full report: identity, user, type, expiration in effect, phase, issued /
// expires / next rotation ("none (never expires)", "disabled"), revision,
// Secret, previous token, last use (status.lastUsedTime, written by the
// verifier), whether the status is current
// (status.observedGeneration == metadata.generation) and one line per
// condition. Times are printed as written by the operator (RFC 3339) with a
// relative hint computed from `now` ("in 20d", "3h ago").
std::string formatStatus(const ServiceToken& token, ctrl::WallTime now);

// One condition in plain words:
//   "Ready: yes — Token j1 is valid until ..."
//   "Stalled: yes (DuplicateName) — Another ServiceToken ..."
// The reason is shown when the status is not True (it says why not).
std::string formatCondition(const Condition& condition);

// A coarse human duration between `t` and `now`: "in 20d", "3h ago", "now".
std::string relativeTime(ctrl::WallTime t, ctrl::WallTime now);

}  // namespace st::plugin
