// Turning a non-2xx API answer into a ctrl::Status, from the Kubernetes
// `Status` body's reason and code (like apimachinery's errors.IsNotFound &co).
#pragma once

#include <optional>

#include "controller/clock.h"
#include "controller/json.h"
#include "controller/status.h"
#include "controller/transport.h"

namespace ctrl::client {

// Maps an HTTP answer (any status not 2xx) to a Status. The message is the
// server's own `message` (truncated), or a generic "HTTP <code>" line when the
// body is not a Kubernetes Status: a body is never echoed otherwise.
Status statusFromResponse(const HttpResponse& response);

// Maps a decoded Kubernetes Status object (e.g. a watch ERROR event's object).
// `httpStatus` is used when the object carries no code.
Status statusFromObject(const Json& object, int httpStatus);

// The delay the server asked for: the Retry-After header (delta-seconds), else
// the Status body's details.retryAfterSeconds. nullopt when neither is there.
std::optional<Duration> retryAfter(const HttpResponse& response);

}  // namespace ctrl::client
