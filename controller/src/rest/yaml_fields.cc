#include "rest/yaml_fields.h"

namespace ctrl::rest {
namespace {

Status invalid(const std::string& what) { return errorStatus(Code::kInvalidArgument, what); }

}  // namespace

std::string fieldPath(const std::string& parent, const std::string& key) {
  return parent.empty() ? key : parent + "." + key;
}

bool hasField(const YAML::Node& node, const std::string& key) {
  const YAML::Node value = node[key];
  return value.IsDefined() && !value.IsNull();
}

StatusOr<std::string> optionalString(const YAML::Node& node, const std::string& key,
                                     const std::string& where) {
  const YAML::Node value = node[key];
  if (!value.IsDefined() || value.IsNull()) return std::string();
  if (!value.IsScalar()) return invalid(fieldPath(where, key) + " must be a string");
  return value.Scalar();
}

StatusOr<bool> optionalBool(const YAML::Node& node, const std::string& key,
                            const std::string& where, bool fallback) {
  const YAML::Node value = node[key];
  if (!value.IsDefined() || value.IsNull()) return fallback;
  bool out = false;
  if (!value.IsScalar() || !YAML::convert<bool>::decode(value, out)) {
    return invalid(fieldPath(where, key) + " must be true or false");
  }
  return out;
}

StatusOr<std::optional<YAML::Node>> findNamedEntry(const YAML::Node& root,
                                                   const std::string& listKey,
                                                   const std::string& itemKey,
                                                   const std::string& name) {
  const YAML::Node list = root[listKey];
  if (!list.IsDefined() || list.IsNull()) return std::optional<YAML::Node>();
  if (!list.IsSequence()) return invalid(listKey + " must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = listKey + "[" + std::to_string(i) + "]";
    if (!entry.IsMap()) return invalid(where + " must be a mapping");
    auto entryName = optionalString(entry, "name", where);
    if (!entryName.isOk()) return entryName.status();
    if (*entryName != name) continue;
    const YAML::Node item = entry[itemKey];
    if (!item.IsDefined() || item.IsNull()) return std::optional<YAML::Node>(YAML::Node());
    if (!item.IsMap()) return invalid(fieldPath(where, itemKey) + " must be a mapping");
    return std::optional<YAML::Node>(item);
  }
  return std::optional<YAML::Node>();
}

}  // namespace ctrl::rest
