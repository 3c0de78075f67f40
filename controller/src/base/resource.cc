#include "controller/resource.h"

namespace ctrl {

std::string Resource::apiVersion() const {
  if (group.empty()) return version;
  return group + "/" + version;
}

std::string Resource::path(std::string_view ns, std::string_view name,
                           std::string_view subresource) const {
  std::string out;
  out.reserve(64 + ns.size() + name.size());
  if (group.empty()) {
    out += "/api/";
  } else {
    out += "/apis/";
    out += group;
    out += '/';
  }
  out += version;
  if (namespaced && !ns.empty()) {
    out += "/namespaces/";
    out += urlEscape(ns);
  }
  out += '/';
  out += plural;
  if (!name.empty()) {
    out += '/';
    out += urlEscape(name);
    if (!subresource.empty()) {
      out += '/';
      out += urlEscape(subresource);
    }
  }
  return out;
}

std::string urlEscape(std::string_view s) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size());
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool unreserved = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                            (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~';
    if (unreserved) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
  return out;
}

namespace resources {

// Function-local statics: built on first use, safe to use from other statics.
const Resource& secret() {
  static const Resource r{"", "v1", "secrets", "Secret", true};
  return r;
}
const Resource& configMap() {
  static const Resource r{"", "v1", "configmaps", "ConfigMap", true};
  return r;
}
const Resource& namespace_() {
  static const Resource r{"", "v1", "namespaces", "Namespace", false};
  return r;
}
const Resource& serviceAccount() {
  static const Resource r{"", "v1", "serviceaccounts", "ServiceAccount", true};
  return r;
}
const Resource& lease() {
  static const Resource r{"coordination.k8s.io", "v1", "leases", "Lease", true};
  return r;
}
const Resource& event() {
  static const Resource r{"events.k8s.io", "v1", "events", "Event", true};
  return r;
}
const Resource& customResourceDefinition() {
  static const Resource r{"apiextensions.k8s.io", "v1", "customresourcedefinitions",
                          "CustomResourceDefinition", false};
  return r;
}
const Resource& role() {
  static const Resource r{"rbac.authorization.k8s.io", "v1", "roles", "Role", true};
  return r;
}
const Resource& roleBinding() {
  static const Resource r{"rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding", true};
  return r;
}
const Resource& clusterRole() {
  static const Resource r{"rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", false};
  return r;
}
const Resource& clusterRoleBinding() {
  static const Resource r{"rbac.authorization.k8s.io", "v1", "clusterrolebindings",
                          "ClusterRoleBinding", false};
  return r;
}

}  // namespace resources
}  // namespace ctrl
