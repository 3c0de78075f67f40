#include "authority/key_bootstrap.h"

#include "api/base64.h"
#include "api/types.h"
#include "authority/key_ring_record.h"
#include "controller/log.h"
#include "controller/resource.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;

ctrl::StatusOr<SigningKeyRing> ringFromSecret(const Json& secret) {
  auto data = keySecretData(secret);
  if (!data.isOk()) return data.status();
  return SigningKeyRing::fromSecretData(*data);
}

Json labels() {
  return {{kManagedByLabel, kManagedByValue}, {"app.kubernetes.io/name", "servicetoken-operator"}};
}

}  // namespace

ctrl::StatusOr<SecretData> keySecretData(const Json& secret) {
  SecretData data;
  if (!secret.contains("data") || !secret["data"].is_object()) {
    return ctrl::Status(Code::kInvalidArgument, "the signing-key Secret has no data");
  }
  for (const auto& [k, v] : secret["data"].items()) {
    if (!v.is_string()) continue;
    auto raw = base64Decode(v.get_ref<const std::string&>());
    if (!raw.isOk()) {
      return ctrl::Status(Code::kInvalidArgument,
                          "the signing-key Secret's data." + k + " is not base64");
    }
    data.emplace(k, SecretString(std::move(raw).value()));
  }
  return data;
}

ctrl::StatusOr<SigningKeyRing> loadOrCreateSigningKeys(ctrl::Client& client,
                                                       const KeyBootstrapOptions& o,
                                                       ctrl::WallTime now) {
  const auto& secrets = ctrl::resources::secret();
  auto existing = client.get(secrets, o.ns, o.secretName);
  if (existing.isOk()) return ringFromSecret(*existing);
  if (existing.status().code() != Code::kNotFound) {
    return existing.status().withContext("reading Secret " + o.ns + "/" + o.secretName);
  }
  auto ring = SigningKeyRing::generate(o.algorithm);
  if (!ring.isOk()) return ring.status();
  if (now == ctrl::WallTime{}) now = std::chrono::system_clock::now();
  auto data = toSecretData(KeyRingState{*ring, normaliseRecord({}, *ring, now)});
  if (!data.isOk()) return data.status();
  Json encoded = Json::object();
  for (const auto& [k, v] : *data) encoded[k] = base64Encode(v.reveal());
  Json secret = {{"apiVersion", "v1"},
                 {"kind", "Secret"},
                 {"type", "Opaque"},
                 {"metadata", {{"name", o.secretName}, {"namespace", o.ns}, {"labels", labels()}}},
                 {"data", std::move(encoded)}};
  auto created = client.create(secrets, o.ns, secret);
  if (created.isOk()) {
    ctrl::log::info("Created signing key",
                    {{"Secret", o.ns + "/" + o.secretName}, {"kid", ring->active().kid()}});
    return ring;
  }
  if (created.status().code() != Code::kAlreadyExists) {
    return created.status().withContext("creating Secret " + o.ns + "/" + o.secretName);
  }
  // Another replica won the race: use its keys.
  auto winner = client.get(secrets, o.ns, o.secretName);
  if (!winner.isOk()) return winner.status().withContext("reading Secret " + o.secretName);
  return ringFromSecret(*winner);
}

ctrl::Status publishJwks(ctrl::Client& client, const KeyBootstrapOptions& o,
                         const SigningKeyRing& keys) {
  const auto& configMaps = ctrl::resources::configMap();
  const std::string jwks = keys.jwks().toString();
  for (int attempt = 0; attempt < 5; ++attempt) {
    auto existing = client.get(configMaps, o.ns, o.jwksConfigMap);
    if (!existing.isOk()) {
      if (existing.status().code() != Code::kNotFound) return existing.status();
      Json cm = {
          {"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", o.jwksConfigMap}, {"namespace", o.ns}, {"labels", labels()}}},
          {"data", {{"jwks.json", jwks}}}};
      auto created = client.create(configMaps, o.ns, cm);
      if (created.isOk()) return ctrl::Status::ok();
      if (created.status().code() == Code::kAlreadyExists) continue;
      return created.status();
    }
    Json& cm = existing.value();
    if (cm.contains("data") && cm["data"].is_object() &&
        cm["data"].value("jwks.json", "") == jwks) {
      return ctrl::Status::ok();
    }
    cm["data"]["jwks.json"] = jwks;
    auto updated = client.update(configMaps, o.ns, cm);
    if (updated.isOk()) return ctrl::Status::ok();
    if (updated.status().code() != Code::kConflict) return updated.status();
  }
  return ctrl::Status(Code::kConflict, "could not publish the JWKS after 5 attempts");
}

}  // namespace st
