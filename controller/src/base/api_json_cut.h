// What parseApiJson() leaves out of the tree, as one rule for both of its
// parsers (api_json.cc, the reference; api_json_fast.cc, simdjson).
#pragma once

#include <string_view>

#include "controller/json.h"

namespace ctrl::detail {

// The key whose object value is an object's metadata.
inline constexpr std::string_view kMetadataKey = "metadata";

// Whether member `key` of an object is left out. `isRoot`: the object is the
// document's root. `isMetadata`: it is the value of a "metadata" member of
// an object.
inline bool leavesOut(const ApiJsonOptions& options, std::string_view key, bool isRoot,
                      bool isMetadata) {
  if (options.dropManagedFields && isMetadata && key == "managedFields") return true;
  return options.metadataOnly && isRoot && key != "apiVersion" && key != "kind" &&
         key != kMetadataKey;
}

}  // namespace ctrl::detail
