// The media types the client sends in Content-Type and Accept (private to
// the controller; st-bench's raw floor sends the same).
#pragma once

#include <string_view>

namespace ctrl::client {

inline constexpr std::string_view kJson = "application/json";

// What a call asking for an answer's metadata only accepts: the API server
// then sends PartialObjectMetadata (meta.k8s.io/v1), so neither it nor we
// spend time on the rest of the object; plain JSON stays acceptable for a
// server or resource that cannot.
inline constexpr std::string_view kMetadataJson =
    "application/json;as=PartialObjectMetadata;g=meta.k8s.io;v=v1,application/json";

}  // namespace ctrl::client
