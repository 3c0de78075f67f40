// The reference for parseApiJson's metadataOnly mode (controller/json.h) in
// tests and the json fuzz target: a root object cut down to its apiVersion,
// kind and metadata members, on a tree parseJson built. Any other root stays.
#pragma once

#include "controller/json.h"

namespace sttest {

inline void keepTypeAndMetadata(ctrl::Json& json) {
  if (!json.is_object()) return;
  for (auto it = json.begin(); it != json.end();) {
    if (it.key() == "apiVersion" || it.key() == "kind" || it.key() == "metadata") {
      ++it;
    } else {
      it = json.erase(it);
    }
  }
}

}  // namespace sttest
