#include "authority/key_rotator.h"

#include <algorithm>

#include "api/base64.h"
#include "authority/key_change.h"
#include "controller/log.h"
#include "controller/object_meta.h"
#include "controller/resource.h"
#include "servicetoken/issued_state.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::WallTime;

const auto kLog = ctrl::log::named("signing-keys");

std::optional<WallTime> parseTime(const std::string& s) {
  if (s.empty()) return std::nullopt;
  auto t = ctrl::parseRfc3339(s);
  return t.isOk() ? std::optional<WallTime>(*t) : std::nullopt;
}

std::string annotation(const Json& object, const char* key) {
  const Json* meta = object.contains("metadata") ? &object["metadata"] : nullptr;
  if (meta == nullptr || !meta->contains("annotations")) return "";
  const Json& annotations = (*meta)["annotations"];
  if (!annotations.is_object()) return "";
  auto it = annotations.find(key);
  return it != annotations.end() && it->is_string() ? it->get<std::string>() : "";
}

bool isRingEntry(const std::string& key) {
  return key == kActiveKidKey || key == kRingRecordKey || key.ends_with(kPemKeySuffix);
}

std::set<std::string> revokedKids(const KeyRingRecord& record) {
  std::set<std::string> out;
  for (const auto& [kid, at] : record.revoked) out.insert(kid);
  return out;
}

}  // namespace

std::set<std::string> kidsInUse(const ctrl::Store<TokenSecret>& secrets, WallTime now) {
  std::set<std::string> kids;
  // One Secret at a time: the cache is packed, and list() would unpack all
  // of them at once (12 MB at 10,000 tokens).
  secrets.forEach([&](const TokenSecret& secret) {
    const IssuedState issued = readIssuedState(secret);
    if (!secret.kid.empty() && (!issued.expiresAt || *issued.expiresAt > now)) {
      kids.insert(secret.kid);
    }
    if (secret.previousKid.empty()) return;
    // Without a readable grace period or expiry, the previous token counts
    // as in use: keeping a public key longer is the safe mistake.
    auto until = issued.previous ? parseTime(issued.previous->retainedUntil) : std::nullopt;
    auto expires = issued.previous ? parseTime(issued.previous->expiresAt) : std::nullopt;
    if ((!until || *until > now) && (!expires || *expires > now)) kids.insert(secret.previousKid);
  });
  return kids;
}

KeyRotator::KeyRotator(KeyRotatorOptions options, KeyRotatorDeps deps)
    : options_(std::move(options)), deps_(std::move(deps)) {
  if (!deps_.generate) {
    const KeyAlgorithm alg = options_.keys.algorithm;
    deps_.generate = [alg] { return SigningKey::generate(alg); };
  }
}

void KeyRotator::poke() {
  {
    std::lock_guard lock(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

ctrl::Status KeyRotator::start(std::stop_token stop) {
  std::stop_callback wake(stop, [this] { poke(); });
  ctrl::Duration backoff = std::chrono::seconds(1);
  while (!stop.stop_requested()) {
    {
      std::lock_guard lock(mu_);
      poked_ = false;
    }
    ctrl::Duration wait = options_.resync;
    auto next = step();
    if (next.isOk()) {
      backoff = std::chrono::seconds(1);
      const auto until = std::chrono::duration_cast<ctrl::Duration>(*next - deps_.clock->wallNow());
      wait = std::clamp(until, ctrl::Duration::zero(), options_.resync);
    } else {
      kLog.error(next.status(), "Failed to reconcile the signing keys",
                 {{"Secret", options_.keys.ns + "/" + options_.keys.secretName}});
      wait = backoff;
      backoff = std::min<ctrl::Duration>(backoff * 2, std::chrono::seconds(30));
    }
    if (wait == ctrl::Duration::zero()) continue;
    std::unique_lock lock(mu_);
    deps_.clock->waitUntil(lock, cv_, deps_.clock->now() + wait,
                           [&] { return poked_ || stop.stop_requested(); });
  }
  return ctrl::Status::ok();
}

void KeyRotator::install(const KeyRingState& state) {
  std::set<std::string> revoked = revokedKids(state.record);
  deps_.authority->setKeys(state.ring, revoked);
  if (deps_.metrics != nullptr) deps_.metrics->observe(state);
  // Withdrawn kids this process has not acted on yet (just withdrawn, or
  // found at start or on becoming leader, e.g. after a restart in the middle
  // of the re-mints): have their tokens looked at.
  std::set<std::string> news;
  for (const std::string& kid : revoked) {
    if (!installedRevoked_.contains(kid)) news.insert(kid);
  }
  installedRevoked_ = std::move(revoked);
  if (!news.empty() && deps_.onRevoked) deps_.onRevoked(news);
}

ctrl::StatusOr<WallTime> KeyRotator::step() {
  const KeyBootstrapOptions& o = options_.keys;
  const std::string where = o.ns + "/" + o.secretName;
  const WallTime now = deps_.clock->wallNow();

  // 1. Read.
  auto secret = deps_.client->get(ctrl::resources::secret(), o.ns, o.secretName);
  if (!secret.isOk()) return secret.status().withContext("reading Secret " + where);
  auto data = keySecretData(*secret);
  if (!data.isOk()) return data.status();
  auto ring = SigningKeyRing::fromSecretData(*data);
  if (!ring.isOk()) return ring.status();
  KeyRingRecord stored;
  if (auto it = data->find(std::string(kRingRecordKey)); it != data->end()) {
    auto parsed = parseRingRecord(it->second.reveal());
    if (!parsed.isOk()) return parsed.status();
    stored = std::move(parsed).value();
  }
  auto meta = ctrl::decodeObjectMetaOf(*secret);
  if (!meta.isOk()) return meta.status();
  // A Secret written before rotation existed: its key signs since the Secret
  // was created (never later than now, whatever the clocks say).
  const WallTime since =
      meta->creationTimestamp == WallTime{} ? now : std::min(now, meta->creationTimestamp);
  KeyRingState state{*ring, normaliseRecord(stored, *ring, since)};
  install(state);

  // 2. Publish what the Secret holds.
  if (auto s = publishJwks(*deps_.client, o, state.ring); !s.isOk()) {
    return s.withContext("publishing the JWKS");
  }

  // 3. Gather, 4. decide.
  RotationInput in;
  in.activeKid = state.ring.active().kid();
  in.record = state.record;
  in.now = now;
  in.interval = options_.interval;
  in.publishDelay = options_.publishDelay;
  if (deps_.secrets != nullptr && (!deps_.secretsSynced || deps_.secretsSynced())) {
    in.kidsInUse = kidsInUse(*deps_.secrets, now);
  }
  in.request = annotation(*secret, kRotateSigningKeyAnnotation);
  in.retireOld = annotation(*secret, kRetireOldAnnotation) == "true";
  in.maxKeys = SigningKeyRing::kMaxKeys;
  const RotationDecision decision = decideKeyRotation(in);
  const WallTime later = decision.wakeAt.value_or(now + options_.resync);
  if (!decision.changes()) return later;

  auto changed = applyKeyRotation(state, decision, now, deps_.generate);
  if (!changed.isOk()) return changed.status().withContext("rotating the signing keys");
  auto newData = toSecretData(*changed);
  if (!newData.isOk()) return newData.status();
  Json encoded = Json::object();
  if ((*secret)["data"].is_object()) {
    for (const auto& [k, v] : (*secret)["data"].items()) {
      if (!isRingEntry(k)) encoded[k] = v;  // not ours: kept as it is
    }
  }
  for (const auto& [k, v] : *newData) encoded[k] = base64Encode(v.reveal());
  Json updated = *secret;  // carries metadata.resourceVersion: the compare-and-swap
  updated["data"] = std::move(encoded);
  auto written = deps_.client->update(ctrl::resources::secret(), o.ns, updated);
  if (!written.isOk()) {
    if (written.status().code() == Code::kConflict) {
      kLog.info("Lost a race to rotate the signing keys; reading them again", {{"Secret", where}});
      return now;
    }
    return written.status().withContext("updating Secret " + where);
  }

  // 5. Publish, then sign.
  const KeyChange change = describeKeyChange(state, *changed);
  kLog.info("Rotated signing keys", {{"Secret", where},
                                     {"reason", decision.message},
                                     {"activeKid", changed->ring.active().kid()},
                                     {"created", joinedKids(change.published)},
                                     {"promoted", decision.promote},
                                     {"dropped", joinedKids(change.dropped)},
                                     {"revoked", joinedKids(change.revoked)}});
  if (deps_.metrics != nullptr) deps_.metrics->changed(change);
  if (deps_.events != nullptr) {
    auto writtenMeta = ctrl::decodeObjectMetaOf(*written);
    const ctrl::ObjectRef keySecret{"Secret",
                                    "v1",
                                    o.ns,
                                    o.secretName,
                                    writtenMeta.isOk() ? writtenMeta->uid : "",
                                    writtenMeta.isOk() ? writtenMeta->resourceVersion : ""};
    for (const KeyChangeEvent& event : keyChangeEvents(change, decision.message)) {
      deps_.events->event(keySecret, event.type, event.reason, "RotateSigningKeys", event.note);
    }
  }
  if (auto s = publishJwks(*deps_.client, o, changed->ring); !s.isOk()) {
    return s.withContext("publishing the JWKS");
  }
  install(*changed);
  return now;
}

}  // namespace st
