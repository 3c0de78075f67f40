#include "client/type_meta.h"

namespace ctrl::client {

void fillTypeMeta(Json& object, const Resource& resource) {
  if (!object.is_object()) return;
  if (!object.contains("kind")) object["kind"] = resource.kind;
  if (!object.contains("apiVersion")) object["apiVersion"] = resource.apiVersion();
}

std::string dumpWithTypeMeta(const Json& object, const Resource& resource) {
  std::string body = object.dump();
  if (!object.is_object()) return body;
  std::string prefix;
  if (!object.contains("apiVersion")) {
    prefix += "\"apiVersion\":" + Json(resource.apiVersion()).dump();
  }
  if (!object.contains("kind")) {
    if (!prefix.empty()) prefix += ',';
    prefix += "\"kind\":" + Json(resource.kind).dump();
  }
  if (prefix.empty()) return body;
  // body is "{...}": splice the members in after the opening brace.
  if (!object.empty()) prefix += ',';
  body.insert(1, prefix);
  return body;
}

}  // namespace ctrl::client
