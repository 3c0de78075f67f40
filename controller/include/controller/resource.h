// Identifies an API resource (group, version, plural) and builds its REST paths.
#pragma once

#include <string>
#include <string_view>

namespace ctrl {

struct Resource {
  std::string group;    // "" for the core group
  std::string version;  // "v1"
  std::string plural;   // "secrets"
  std::string kind;     // "Secret"
  bool namespaced = true;

  // "v1" or "coordination.k8s.io/v1".
  std::string apiVersion() const;
  // "/api/v1/namespaces/NS/secrets/NAME/status"; empty parts are left out
  // (no namespace: all namespaces or cluster-scoped; no name: the collection).
  // Names are percent-escaped.
  std::string path(std::string_view ns = {}, std::string_view name = {},
                   std::string_view subresource = {}) const;
};

namespace resources {
const Resource& secret();
const Resource& configMap();
const Resource& namespace_();
const Resource& serviceAccount();
const Resource& lease();                     // coordination.k8s.io/v1
const Resource& event();                     // events.k8s.io/v1
const Resource& customResourceDefinition();  // apiextensions.k8s.io/v1
const Resource& role();                      // rbac.authorization.k8s.io/v1
const Resource& roleBinding();
const Resource& clusterRole();
const Resource& clusterRoleBinding();
}  // namespace resources

// Percent-escapes a query value or path segment (RFC 3986 unreserved kept).
std::string urlEscape(std::string_view s);

}  // namespace ctrl
