// Kubeconfig YAML: ctrl::parseKubeconfig on the input, with relative file
// references resolved against tests/fuzz/data/kubeconfig (a CA, a client
// certificate and key, and a token file the seeds name). Properties: no crash
// (yaml-cpp recurses per nesting level, so the pre-scan must stop bombs), a
// document the pre-scan accepts is no deeper than it promises, and an accepted
// config has an http(s) server.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "controller/rest_config.h"
#include "fuzz_check.h"
#include "rest/yaml_guard.h"

namespace {

using stfuzz::check;

// The nesting depth of `node` (a scalar is 0, a list or map one more than
// its deepest child), capped at `limit` + 1. Aliases share nodes, so a small
// document can name exponentially many: `visits` bounds the walk.
size_t depthOf(const YAML::Node& node, size_t limit, size_t& visits) {
  if (!node.IsMap() && !node.IsSequence()) return 0;
  if (limit == 0 || visits == 0) return 1;
  --visits;
  size_t deepest = 0;
  for (auto it = node.begin(); it != node.end(); ++it) {
    if (node.IsMap()) {
      deepest = std::max(deepest, depthOf(it->first, limit - 1, visits));
      deepest = std::max(deepest, depthOf(it->second, limit - 1, visits));
    } else {
      deepest = std::max(deepest, depthOf(*it, limit - 1, visits));
    }
  }
  return deepest + 1;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stfuzz::asText(data, size);

  // The pre-scan bounds flow ([ {) and block (indentation, "- ") nesting
  // separately, so a document it accepts nests at most twice the limit.
  if (ctrl::rest::checkYamlText(text).isOk()) {
    constexpr size_t kBound = 2 * ctrl::rest::kMaxYamlDepth;
    try {
      const YAML::Node root = YAML::Load(std::string(text));
      size_t visits = 100000;
      const size_t depth = depthOf(root, kBound, visits);
      check(visits == 0 || depth <= kBound, "the YAML pre-scan let a deeper document through");
    } catch (const YAML::Exception&) {
    }
  }

  auto config = ctrl::parseKubeconfig(text, "", ST_FUZZ_DATA_DIR "/kubeconfig");
  if (!config.isOk()) return 0;
  const std::string& server = config->server;
  check(server.rfind("https://", 0) == 0 || server.rfind("http://", 0) == 0,
        "accepted a config without an http(s) server");
  check(config->clientCertPem.empty() == config->clientKeyPem.empty(),
        "accepted a client certificate without its key");
  if (config->bearerToken) (void)config->bearerToken();
  return 0;
}
