// The API omits kind/apiVersion on list items; the rest of the runtime wants
// every object self-describing. Also: serializing an apply patch, which the
// server requires to carry both.
#pragma once

#include <string>

#include "controller/json.h"
#include "controller/resource.h"

namespace ctrl::client {

// Sets kind and apiVersion on `object` (a JSON object) where they are missing.
void fillTypeMeta(Json& object, const Resource& resource);

// Serializes `object` once, prefixing kind/apiVersion from `resource` when it
// is a JSON object lacking them (without copying the object).
std::string dumpWithTypeMeta(const Json& object, const Resource& resource);

}  // namespace ctrl::client
