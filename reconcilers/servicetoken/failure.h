// Failed attempts to issue: what they are called, which of them cannot heal
// by themselves, and how long to wait before the next attempt. Pure.
//
// A rejection the API server will repeat for the same request (the object is
// Invalid, the request is malformed or too large, an admission policy denied
// it) needs a human: it is reported as Stalled=True with the server's message
// and retried only when the spec changes or after kPermanentRetry. Anything
// else (the server unavailable, throttling, an RBAC refusal — which a restarting
// API server gives until its authorizer has loaded — no signing key yet) is
// retried with an exponential backoff computed from status, so a restart keeps
// the pace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/clock.h"
#include "controller/status.h"

namespace st {

inline constexpr std::chrono::minutes kPermanentRetry{30};

// PascalCase reason for status.lastFailureReason: Invalid, BadRequest,
// PolicyDenied (permanent); Forbidden (RBAC), MintFailed (transient).
std::string failureReason(const ctrl::Status& error);

// Whether a failure with this reason cannot heal without a human.
bool isPermanentFailure(std::string_view reason);

// The wait after `attempts` consecutive failures: 5 s doubling to 10 min, or
// kPermanentRetry for a permanent one.
ctrl::Duration failureBackoff(int32_t attempts, std::string_view reason);

}  // namespace st
