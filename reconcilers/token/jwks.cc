#include "token/jwks.h"

#include <algorithm>
#include <set>

namespace st {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;

StatusOr<Jwks> Jwks::fromKeys(std::vector<PublicKey> keys) {
  if (keys.size() > kMaxKeys) {
    return Status(Code::kInvalidArgument,
                  "JWKS has more than " + std::to_string(kMaxKeys) + " keys");
  }
  std::set<std::string_view> kids;
  for (const PublicKey& key : keys) {
    if (!kids.insert(key.kid()).second) {
      return Status(Code::kInvalidArgument, "JWKS has two keys with the same kid");
    }
  }
  return Jwks(std::move(keys));
}

StatusOr<Jwks> Jwks::parse(std::string_view text) {
  auto json = ctrl::parseJson(text, ctrl::JsonLimits{.maxBytes = kMaxBytes, .maxDepth = 8});
  if (!json.isOk()) return json.status().withContext("invalid JWKS");
  auto it = json->find("keys");
  if (!json->is_object() || it == json->end() || !it->is_array()) {
    return Status(Code::kInvalidArgument, "invalid JWKS: no \"keys\" array");
  }
  if (it->size() > kMaxKeys) {
    return Status(Code::kInvalidArgument,
                  "invalid JWKS: more than " + std::to_string(kMaxKeys) + " keys");
  }
  std::vector<PublicKey> keys;
  for (size_t i = 0; i < it->size(); ++i) {
    const Json& jwk = (*it)[i];
    if (!PublicKey::isSupportedJwk(jwk)) continue;
    auto key = PublicKey::fromJwk(jwk);
    if (!key.isOk()) {
      return key.status().withContext("invalid JWKS: key " + std::to_string(i));
    }
    keys.push_back(std::move(key).value());
  }
  return fromKeys(std::move(keys));
}

const PublicKey* Jwks::find(std::string_view kid) const {
  auto it = std::find_if(keys_.begin(), keys_.end(),
                         [&](const PublicKey& key) { return key.kid() == kid; });
  return it == keys_.end() ? nullptr : &*it;
}

Json Jwks::toJson() const {
  Json keys = Json::array();
  for (const PublicKey& key : keys_) keys.push_back(key.toJwk());
  return Json{{"keys", std::move(keys)}};
}

std::string Jwks::toString() const { return toJson().dump(); }

}  // namespace st
