// The reference for parseApiJson (controller/json.h) in tests and the json
// fuzz target: managedFields erased from every object under a "metadata"
// key, on a tree parseJson built.
#pragma once

#include "controller/json.h"

namespace sttest {

inline void eraseManagedFields(ctrl::Json& json) {
  if (json.is_object()) {
    for (auto& [key, value] : json.items()) {
      if (key == "metadata" && value.is_object()) value.erase("managedFields");
      eraseManagedFields(value);
    }
  } else if (json.is_array()) {
    for (auto& item : json) eraseManagedFields(item);
  }
}

}  // namespace sttest
