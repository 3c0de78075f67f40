#include "authority/key_ring_record.h"

#include <algorithm>

#include "controller/json.h"
#include "controller/object_meta.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;
using ctrl::WallTime;

constexpr ctrl::JsonLimits kRecordLimits{.maxBytes = kMaxRingRecordBytes, .maxDepth = 4};

Status invalid(const std::string& field, const std::string& why) {
  return Status(Code::kInvalidArgument, "signing-key Secret: ring.json: " + field + " " + why);
}

StatusOr<WallTime> timeField(const Json& value, const std::string& field) {
  if (!value.is_string()) return invalid(field, "is not a string");
  auto t = ctrl::parseRfc3339(value.get_ref<const std::string&>());
  if (!t.isOk()) return invalid(field, "is not an RFC 3339 time");
  return *t;
}

WallTime seconds(WallTime t) { return std::chrono::time_point_cast<std::chrono::seconds>(t); }

}  // namespace

StatusOr<KeyRingRecord> parseRingRecord(std::string_view text) {
  if (text.size() > kMaxRingRecordBytes) {
    return invalid("", "is larger than " + std::to_string(kMaxRingRecordBytes) + " bytes");
  }
  auto json = ctrl::parseJson(text, kRecordLimits);
  if (!json.isOk()) return json.status().withContext("signing-key Secret: ring.json");
  if (!json->is_object()) return invalid("", "is not a JSON object");
  KeyRingRecord record;
  if (auto keys = json->find("keys"); keys != json->end()) {
    if (!keys->is_object()) return invalid("keys", "is not an object");
    if (keys->size() > SigningKeyRing::kMaxKeys * 4) return invalid("keys", "has too many entries");
    for (const auto& [kid, entry] : keys->items()) {
      const std::string field = "keys." + kid;
      if (!entry.is_object()) return invalid(field, "is not an object");
      KeyTimes times;
      auto created = entry.find("created");
      if (created == entry.end()) return invalid(field, "has no \"created\"");
      auto c = timeField(*created, field + ".created");
      if (!c.isOk()) return c.status();
      times.created = *c;
      for (auto [name, slot] :
           {std::pair{"activated", &times.activated}, std::pair{"retired", &times.retired}}) {
        auto it = entry.find(name);
        if (it == entry.end() || it->is_null()) continue;
        auto t = timeField(*it, field + "." + name);
        if (!t.isOk()) return t.status();
        *slot = *t;
      }
      record.keys.emplace(kid, times);
    }
  }
  if (auto revoked = json->find("revoked"); revoked != json->end()) {
    if (!revoked->is_object()) return invalid("revoked", "is not an object");
    if (revoked->size() > SigningKeyRing::kMaxKeys * 4) {
      return invalid("revoked", "has too many entries");
    }
    for (const auto& [kid, at] : revoked->items()) {
      auto t = timeField(at, "revoked." + kid);
      if (!t.isOk()) return t.status();
      record.revoked.emplace(kid, *t);
    }
  }
  if (auto request = json->find("honouredRequest"); request != json->end()) {
    if (!request->is_string()) return invalid("honouredRequest", "is not a string");
    record.honouredRequest = request->get<std::string>();
  }
  return record;
}

std::string formatRingRecord(const KeyRingRecord& record) {
  Json keys = Json::object();
  for (const auto& [kid, times] : record.keys) {
    Json entry = {{"created", ctrl::formatRfc3339(times.created)}};
    if (times.activated) entry["activated"] = ctrl::formatRfc3339(*times.activated);
    if (times.retired) entry["retired"] = ctrl::formatRfc3339(*times.retired);
    keys[kid] = std::move(entry);
  }
  Json revoked = Json::object();
  for (const auto& [kid, at] : record.revoked) revoked[kid] = ctrl::formatRfc3339(at);
  Json out = {{"keys", std::move(keys)}, {"revoked", std::move(revoked)}};
  if (!record.honouredRequest.empty()) out["honouredRequest"] = record.honouredRequest;
  return out.dump();
}

KeyRingRecord normaliseRecord(const KeyRingRecord& record, const SigningKeyRing& ring,
                              WallTime fallback) {
  KeyRingRecord out;
  out.revoked = record.revoked;
  out.honouredRequest = record.honouredRequest;
  fallback = seconds(fallback);
  const std::string& active = ring.active().kid();
  for (const SigningKey& key : ring.keys()) {
    auto it = record.keys.find(key.kid());
    KeyTimes times;
    if (it != record.keys.end()) {
      times = it->second;
    } else {
      times.created = fallback;
      if (key.kid() == active) {
        times.activated = fallback;
      } else {
        times.retired = fallback;
      }
    }
    // The ring says which key signs, whatever the record says.
    if (key.kid() == active) {
      if (!times.activated) times.activated = times.created;
      times.retired.reset();
    }
    out.revoked.erase(key.kid());
    out.keys.emplace(key.kid(), times);
  }
  return out;
}

StatusOr<KeyRingState> applyKeyRotation(const KeyRingState& state, const RotationDecision& d,
                                        WallTime now, const KeyGenerator& generate) {
  now = seconds(now);
  KeyRingRecord record = state.record;
  std::vector<SigningKey> keys = state.ring.keys();
  std::string active = state.ring.active().kid();

  if (d.replaceAll) {
    auto fresh = generate();
    if (!fresh.isOk()) return fresh.status();
    for (const SigningKey& key : keys) record.revoked[key.kid()] = now;
    record.keys.clear();
    active = fresh->kid();
    record.keys[active] = KeyTimes{now, now, std::nullopt};
    keys = {std::move(fresh).value()};
  }
  for (const std::string& kid : d.drop) {
    std::erase_if(keys, [&](const SigningKey& k) { return k.kid() == kid; });
    record.keys.erase(kid);
  }
  for (const std::string& kid : d.forgetRevoked) record.revoked.erase(kid);
  if (!d.promote.empty()) {
    auto next = record.keys.find(d.promote);
    if (next == record.keys.end()) {
      return Status(Code::kInvalidArgument, "the key to promote is not in the ring");
    }
    record.keys[active].retired = now;
    next->second.activated = now;
    active = d.promote;
  }
  if (d.createNext) {
    auto fresh = generate();
    if (!fresh.isOk()) return fresh.status();
    record.keys[fresh->kid()] = KeyTimes{now, std::nullopt, std::nullopt};
    keys.push_back(std::move(fresh).value());
  }
  if (!d.honour.empty()) record.honouredRequest = d.honour;
  auto ring = SigningKeyRing::create(std::move(keys), active);
  if (!ring.isOk()) return ring.status();
  return KeyRingState{std::move(ring).value(), std::move(record)};
}

StatusOr<SecretData> toSecretData(const KeyRingState& state) {
  auto data = state.ring.toSecretData();
  if (!data.isOk()) return data.status();
  data->emplace(kRingRecordKey, SecretString(formatRingRecord(state.record)));
  return data;
}

}  // namespace st
