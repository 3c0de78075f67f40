#include "plugin/kubeconfig_namespace.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace st::plugin {
namespace {

constexpr std::streamsize kMaxKubeconfigBytes = 4 << 20;

std::string scalar(const YAML::Node& node, const char* key) {
  const YAML::Node value = node[key];
  return value && value.IsScalar() ? value.as<std::string>() : std::string();
}

}  // namespace

ctrl::StatusOr<std::string> kubeconfigPath(const std::string& explicitPath) {
  if (!explicitPath.empty()) return explicitPath;
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::stringstream list(env);
    std::string entry, first;
    while (std::getline(list, entry, ':')) {
      if (entry.empty()) continue;
      if (first.empty()) first = entry;
      std::error_code ec;
      if (std::filesystem::exists(entry, ec)) return entry;
    }
    if (!first.empty()) return first;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return ctrl::errorStatus(ctrl::Code::kNotFound,
                             "no kubeconfig: KUBECONFIG and HOME are not set");
  }
  return std::string(home) + "/.kube/config";
}

ctrl::StatusOr<std::string> contextNamespace(std::string_view yamlText,
                                             const std::string& context) {
  try {
    const YAML::Node root = YAML::Load(std::string(yamlText));
    if (!root.IsMap()) {
      return ctrl::errorStatus(ctrl::Code::kInvalidArgument, "kubeconfig is not a YAML mapping");
    }
    const std::string wanted = context.empty() ? scalar(root, "current-context") : context;
    const YAML::Node contexts = root["contexts"];
    if (!wanted.empty() && contexts && contexts.IsSequence()) {
      for (const YAML::Node& entry : contexts) {
        if (!entry.IsMap() || scalar(entry, "name") != wanted) continue;
        const YAML::Node body = entry["context"];
        return body && body.IsMap() ? scalar(body, "namespace") : std::string();
      }
    }
    if (wanted.empty()) return std::string();
    return ctrl::errorStatus(ctrl::Code::kNotFound,
                             "context \"" + wanted + "\" not found in the kubeconfig");
  } catch (const YAML::Exception&) {
    return ctrl::errorStatus(ctrl::Code::kInvalidArgument, "kubeconfig is not valid YAML");
  }
}

std::string resolveNamespace(const std::string& flag, const std::string& path,
                             const std::string& context) {
  if (!flag.empty()) return flag;
  std::ifstream in(path, std::ios::binary);
  if (in) {
    std::string text(static_cast<size_t>(kMaxKubeconfigBytes), '\0');
    in.read(text.data(), kMaxKubeconfigBytes);
    text.resize(static_cast<size_t>(in.gcount()));
    auto ns = contextNamespace(text, context);
    if (ns.isOk() && !ns->empty()) return *ns;
  }
  return "default";
}

}  // namespace st::plugin
