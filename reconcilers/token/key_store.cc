#include "token/key_store.h"

#include <algorithm>
#include <utility>

namespace st {

using ctrl::Code;
using ctrl::Status;
using ctrl::StatusOr;

namespace {

Status invalidData(std::string message) {
  return Status(Code::kInvalidArgument, "signing-key Secret: " + std::move(message));
}

bool endsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

}  // namespace

StatusOr<SigningKeyRing> SigningKeyRing::generate(KeyAlgorithm alg) {
  auto key = SigningKey::generate(alg);
  if (!key.isOk()) return key.status();
  std::string kid = key->kid();
  return create({std::move(key).value()}, std::move(kid));
}

StatusOr<SigningKeyRing> SigningKeyRing::create(std::vector<SigningKey> keys,
                                                std::string activeKid) {
  if (keys.empty()) return Status(Code::kInvalidArgument, "a key ring needs at least one key");
  if (keys.size() > kMaxKeys) {
    return Status(Code::kInvalidArgument,
                  "a key ring holds at most " + std::to_string(kMaxKeys) + " keys");
  }
  // Sorted by kid, so the same keys always give the same Secret and the same
  // JWKS document, whatever order they were loaded in.
  std::sort(keys.begin(), keys.end(),
            [](const SigningKey& a, const SigningKey& b) { return a.kid() < b.kid(); });
  size_t active = keys.size();
  for (size_t i = 0; i < keys.size(); ++i) {
    if (i > 0 && keys[i].kid() == keys[i - 1].kid()) {
      return Status(Code::kInvalidArgument, "a key ring has two keys with the same kid");
    }
    if (keys[i].kid() == activeKid) active = i;
  }
  if (active == keys.size()) {
    return Status(Code::kInvalidArgument, "the active kid is not one of the ring's keys");
  }
  return SigningKeyRing(std::move(keys), active);
}

StatusOr<SigningKeyRing> SigningKeyRing::fromSecretData(const SecretData& data) {
  auto activeIt = data.find(std::string(kActiveKidKey));
  if (activeIt == data.end()) return invalidData("no \"active-kid\" entry");

  std::vector<SigningKey> keys;
  for (const auto& [name, value] : data) {
    if (!endsWith(name, kPemKeySuffix)) continue;
    if (keys.size() == kMaxKeys) {
      return invalidData("more than " + std::to_string(kMaxKeys) + " keys");
    }
    // `name` is a Secret data key chosen by whoever wrote the Secret: it is
    // not secret, and naming it is what makes the error actionable.
    auto key = SigningKey::fromPem(value.reveal());
    if (!key.isOk()) return key.status().withContext("signing-key Secret: entry \"" + name + "\"");
    const std::string_view expectedKid =
        std::string_view(name).substr(0, name.size() - kPemKeySuffix.size());
    if (key->kid() != expectedKid) {
      return invalidData("entry \"" + name + "\" holds a key whose thumbprint is not its name");
    }
    keys.push_back(std::move(key).value());
  }
  if (keys.empty()) return invalidData("no \"<kid>.pem\" entries");
  auto ring = create(std::move(keys), std::string(activeIt->second.reveal()));
  if (!ring.isOk()) return ring.status().withContext("signing-key Secret");
  return ring;
}

StatusOr<SecretData> SigningKeyRing::toSecretData() const {
  SecretData data;
  data.emplace(kActiveKidKey, SecretString(std::string_view(active().kid())));
  for (const SigningKey& key : keys_) {
    auto pem = key.toPem();
    if (!pem.isOk()) return pem.status();
    data.emplace(key.kid() + std::string(kPemKeySuffix), std::move(pem).value());
  }
  return data;
}

const SigningKey& SigningKeyRing::active() const { return keys_[active_]; }

Jwks SigningKeyRing::jwks() const {
  std::vector<PublicKey> keys;
  keys.reserve(keys_.size());
  for (const SigningKey& key : keys_) keys.push_back(key.publicKey());
  // The ring's invariants (distinct kids, at most kMaxKeys <= Jwks::kMaxKeys)
  // make this infallible.
  auto jwks = Jwks::fromKeys(std::move(keys));
  return std::move(jwks).value();
}

}  // namespace st
