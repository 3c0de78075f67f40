// The Kubernetes object metadata that typed cache structs embed: identity
// (name, namespace, uid), versioning (resourceVersion, generation), labels,
// annotations, owner references and the two timestamps. Decoded from the
// JSON `metadata` object with explicit, non-throwing codecs, so a cached
// object holds only these fields instead of a JSON tree.
#pragma once

#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "controller/clock.h"
#include "controller/status.h"
#include "controller/string_map.h"

namespace ctrl {

using Json = nlohmann::json;

struct OwnerReference {
  std::string apiVersion;
  std::string kind;
  std::string name;
  std::string uid;
  bool controller = false;
  bool blockOwnerDeletion = false;

  bool operator==(const OwnerReference&) const = default;
};

struct ObjectMeta {
  std::string name;
  std::string namespace_;  // "" for cluster-scoped objects
  std::string uid;
  std::string resourceVersion;
  int64_t generation = 0;
  StringMap labels;  // one buffer each (string_map.h)
  StringMap annotations;
  std::vector<OwnerReference> ownerReferences;
  std::optional<WallTime> deletionTimestamp;
  WallTime creationTimestamp{};

  // "namespace/name", or "name" for cluster-scoped objects (see objectKey()).
  std::string key() const;
  // The owner reference with controller=true, or nullptr.
  const OwnerReference* controllerRef() const;

  bool operator==(const ObjectMeta&) const = default;
};

// The cache key of an object: "namespace/name", or "name" when `ns` is empty
// (client-go's MetaNamespaceKeyFunc).
std::string objectKey(std::string_view ns, std::string_view name);

// Decodes the `metadata` object of a Kubernetes object (pass object["metadata"]).
// Absent fields keep their defaults. Errors: InvalidArgument, naming the
// field, when `metadata` is not an object, `name` is missing or a field has
// the wrong type or a malformed timestamp. Never throws; messages never
// contain field values.
StatusOr<ObjectMeta> decodeObjectMeta(const Json& metadata);

// Decodes the metadata of a whole object (object["metadata"]). Errors as
// decodeObjectMeta(), plus InvalidArgument when `object` has no metadata.
StatusOr<ObjectMeta> decodeObjectMetaOf(const Json& object);

// Parses an RFC 3339 timestamp as the API writes them ("2026-01-02T03:04:05Z",
// optionally with fractional seconds and a numeric offset). Errors:
// InvalidArgument, also for a time WallTime cannot hold (before
// 1677-09-21T00:12:44Z or from 2262-04-11T23:47:16Z on).
StatusOr<WallTime> parseRfc3339(std::string_view text);

// Formats `t` as RFC 3339 in UTC with whole seconds ("2026-01-02T03:04:05Z"),
// the metav1.Time format.
std::string formatRfc3339(WallTime t);

}  // namespace ctrl
