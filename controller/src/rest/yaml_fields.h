// Checked access to yaml-cpp nodes for config parsing: every accessor returns
// a Status naming the field instead of throwing, and never quotes a value
// (kubeconfig values include keys and tokens).
#pragma once

#include <yaml-cpp/yaml.h>

#include <optional>
#include <string>

#include "controller/status.h"

namespace ctrl::rest {

// Where a field lives, for messages: e.g. `users["admin"].user`.
std::string fieldPath(const std::string& parent, const std::string& key);

// The scalar at node[key]; "" when absent or null. Preconditions: node is a
// map. Errors: InvalidArgument "<where>.<key> must be a string".
StatusOr<std::string> optionalString(const YAML::Node& node, const std::string& key,
                                     const std::string& where);

// The boolean at node[key]; `fallback` when absent or null. Errors:
// InvalidArgument "<where>.<key> must be true or false".
StatusOr<bool> optionalBool(const YAML::Node& node, const std::string& key,
                            const std::string& where, bool fallback);

// Whether node[key] is present and not null. Preconditions: node is a map.
bool hasField(const YAML::Node& node, const std::string& key);

// In the sequence node[listKey] (a list of {name: ..., itemKey: {...}}), the
// map under itemKey of the first entry called `name`; nullopt when there is
// none. Errors: InvalidArgument when the list or an entry is malformed.
StatusOr<std::optional<YAML::Node>> findNamedEntry(const YAML::Node& root,
                                                   const std::string& listKey,
                                                   const std::string& itemKey,
                                                   const std::string& name);

}  // namespace ctrl::rest
