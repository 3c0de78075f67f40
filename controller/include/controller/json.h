// Bounded JSON parsing: every parser has size and depth limits, so a hostile
// or broken peer cannot exhaust memory or the stack.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string_view>

#include "controller/status.h"

namespace ctrl {

using Json = nlohmann::json;

struct JsonLimits {
  size_t maxBytes = 16 << 20;  // Kubernetes' own request limit is 3 MiB per object
  int maxDepth = 64;
};

// Parses `text` as one JSON document. Errors: InvalidArgument when it is
// larger than limits.maxBytes, nested deeper than limits.maxDepth, or not
// valid JSON (the message gives the byte offset, never the content).
StatusOr<Json> parseJson(std::string_view text, const JsonLimits& limits = {});

// What parseApiJson() leaves out of the tree it builds.
struct ApiJsonOptions {
  // The managedFields member of any object that is the value of a "metadata"
  // key: server-side apply's bookkeeping, which nothing here reads and which
  // is 30-45% of our objects' bytes.
  bool dropManagedFields = true;
  // Every member of the root object but apiVersion, kind and metadata (spec,
  // status, data, items, ...): for a caller that needs only the object's
  // identity and new resourceVersion, e.g. from the answer to its own write.
  // A root that is not an object is built whole.
  bool metadataOnly = false;
};

// parseJson() for what the Kubernetes API sends (an object, a list, a watch
// event), without what `options` leaves out (by default metadata's
// managedFields). Accepts and rejects exactly what parseJson() does (the
// skipped values are validated too, but never built), with the same
// messages; the limits apply to `text` as received. Thread-safe.
StatusOr<Json> parseApiJson(std::string_view text, const JsonLimits& limits = {},
                            const ApiJsonOptions& options = {});

namespace detail {
// parseApiJson() by nlohmann's parser alone: what parseApiJson() falls back
// to for every document its fast path does not take (anything it refuses,
// numbers it cannot hold), and the reference the tests and the fuzz target
// hold it to. Same contract.
StatusOr<Json> parseApiJsonReference(std::string_view text, const JsonLimits& limits = {},
                                     const ApiJsonOptions& options = {});
// How many times parseApiJson() has fallen back to the reference, in this
// process: for tests that the fast path is taken.
uint64_t apiJsonFallbacks();
}  // namespace detail

// The size and depth checks of parseJson() on their own (linear, no
// allocation). Errors: InvalidArgument, as parseJson().
Status checkJsonLimits(std::string_view text, const JsonLimits& limits);

}  // namespace ctrl
