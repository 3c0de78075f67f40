// The default namespace of a kubectl plugin: the `namespace` of the selected
// kubeconfig context, as kubectl itself uses it. ctrl::loadKubeconfig() builds
// only the connection (RestConfig), so this reads that one field separately,
// from the same file loadKubeconfig() would pick.
#pragma once

#include <string>
#include <string_view>

#include "controller/status.h"

namespace st::plugin {

// The kubeconfig file to read: `explicitPath` when set, else the first
// existing entry of $KUBECONFIG (lists are not merged, as in
// ctrl::loadKubeconfig), else ~/.kube/config. Errors: NotFound when neither
// KUBECONFIG nor HOME is set.
ctrl::StatusOr<std::string> kubeconfigPath(const std::string& explicitPath);

// The namespace of `context` ("" = current-context) in kubeconfig text, or ""
// when the context sets none. Errors: InvalidArgument for malformed YAML,
// NotFound when the context does not exist. Never throws.
ctrl::StatusOr<std::string> contextNamespace(std::string_view yamlText, const std::string& context);

// Resolves the namespace to act in: `flag` when given, else the context's
// namespace from the kubeconfig at `path`, else "default". A kubeconfig that
// cannot be read yields "default" here; loading the connection reports it.
std::string resolveNamespace(const std::string& flag, const std::string& path,
                             const std::string& context);

}  // namespace st::plugin
