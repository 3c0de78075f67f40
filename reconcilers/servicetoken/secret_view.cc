#include "servicetoken/secret_view.h"

#include "api/base64.h"
#include "api/codec.h"
#include "controller/object_meta.h"
#include "controller/resource.h"
#include "servicetoken/conditions.h"
#include "servicetoken/issued_state.h"
#include "servicetoken/resource_version.h"
#include "servicetoken/status_policy.h"
#include "token/token_hash.h"

namespace st {
namespace {

struct Live {
  bool found = false;
  ctrl::Json object;
};

ctrl::StatusOr<Live> getLive(const SecretViewDeps& d, const ServiceToken& t) {
  auto live = d.reader->get(ctrl::resources::secret(), t.meta.namespace_, t.secretName());
  if (!live.isOk()) {
    if (live.status().code() == ctrl::Code::kNotFound) return Live{};
    return live.status().withContext("reading Secret " + t.secretName());
  }
  return Live{true, std::move(live).value()};
}

std::shared_ptr<const TokenSecret> decoded(const ctrl::Json& object) {
  auto s = decodeTokenSecret(object);
  if (!s.isOk()) return nullptr;
  return std::make_shared<const TokenSecret>(std::move(s).value());
}

// Whether the token in `object` was minted by us for this ServiceToken, as
// its annotations claim.
bool verifiablyOurs(const SecretViewDeps& d, const ctrl::Json& object, const IssuedState& claimed,
                    const std::string& subject) {
  const ctrl::Json* data = object.contains("data") ? &object["data"] : nullptr;
  if (data == nullptr || !data->is_object() || !data->contains(kTokenKey) ||
      !(*data)[kTokenKey].is_string()) {
    return false;
  }
  auto raw = base64Decode((*data)[kTokenKey].get_ref<const std::string&>());
  if (!raw.isOk()) return false;
  SecretString value(std::move(raw).value());
  auto id = d.authority->verify(value);
  return id.isOk() && id->tokenId == claimed.tokenId && tokenHash(value) == claimed.tokenHash &&
         (subject.empty() || id->subject == subject);
}

bool stalledOnForeignSecret(const ServiceToken& t) {
  const Condition* stalled = findCondition(t.status.conditions, "Stalled");
  return stalled != nullptr && stalled->status == "True" &&
         stalled->reason == blockerReason(Blocker::kSecretNotOwned);
}

}  // namespace

void WrittenSecrets::remember(const std::string& tokenKey,
                              std::shared_ptr<const TokenSecret> secret) {
  std::lock_guard lock(mu_);
  secrets_[tokenKey] = std::move(secret);
}

std::shared_ptr<const TokenSecret> WrittenSecrets::find(const std::string& tokenKey) const {
  std::lock_guard lock(mu_);
  auto it = secrets_.find(tokenKey);
  return it == secrets_.end() ? nullptr : it->second;
}

void WrittenSecrets::forget(const std::string& tokenKey) {
  std::lock_guard lock(mu_);
  secrets_.erase(tokenKey);
}

ctrl::StatusOr<SecretObservation> observeSecret(const SecretViewDeps& d, const ServiceToken& t,
                                                const std::string& subject) {
  const std::string key = t.meta.key();
  std::shared_ptr<const TokenSecret> secret =
      d.cache->get(ctrl::objectKey(t.meta.namespace_, t.secretName()));
  bool ourWrite = false;
  if (auto mine = d.written->find(key)) {
    if (mine->meta.name != t.secretName()) {
      d.written->forget(key);
    } else if (!secret) {
      // The cache lags behind our write, or it has seen a delete: only the
      // server can tell which.
      auto live = getLive(d, t);
      if (!live.isOk()) return live.status();
      if (!live->found) {
        d.written->forget(key);
      } else {
        secret = decoded(live->object);
        ourWrite = secret && secret->meta.resourceVersion == mine->meta.resourceVersion;
      }
    } else if (!resourceVersionAtLeast(secret->meta.resourceVersion, mine->meta.resourceVersion)) {
      secret = mine;
      ourWrite = true;
    } else {
      d.written->forget(key);  // the cache caught up
    }
  }
  // Foreign Secrets are not watched (only labelled ones are): while stalled on
  // one, look again, so its removal is noticed.
  if (!secret && stalledOnForeignSecret(t)) {
    auto live = getLive(d, t);
    if (!live.isOk()) return live.status();
    if (live->found) secret = decoded(live->object);
  }

  SecretObservation out;
  if (!secret) return out;
  if (!ownedBy(*secret, t)) {
    out.foreign = true;
    return out;
  }
  out.secret = secret;
  const IssuedState claimed = readIssuedState(*secret);
  const bool recorded = claimed.tokenId == t.status.tokenId &&
                        claimed.tokenHash == t.status.tokenHash && !claimed.tokenId.empty();
  // A value that does not match its own annotations is tampered with; the
  // issue policies replace it without adopting anything.
  if (ourWrite || recorded || !claimed.valueMatches) return out;

  auto live = getLive(d, t);
  if (!live.isOk()) return live.status();
  if (!live->found) {
    out.secret.reset();
    return out;
  }
  if (verifiablyOurs(d, live->object, claimed, subject)) return out;
  const ctrl::OwnerReference* controller = secret->meta.controllerRef();
  if (controller != nullptr && controller->uid == t.meta.uid) {
    out.forged = true;
  } else {
    out.secret.reset();
    out.foreign = true;
  }
  return out;
}

}  // namespace st
