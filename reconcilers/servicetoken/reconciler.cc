#include "servicetoken/reconciler.h"

#include <algorithm>
#include <charconv>

#include "api/codec.h"
#include "controller/log.h"
#include "controller/object_meta.h"
#include "policy/issue_policy.h"
#include "policy/lifetime.h"
#include "policy/schedule.h"
#include "servicetoken/conditions.h"
#include "servicetoken/issued_state.h"
#include "servicetoken/issuer.h"
#include "servicetoken/secret_builder.h"
#include "servicetoken/status_policy.h"

namespace st {
namespace {

using ctrl::WallTime;
using std::chrono::seconds;

const auto kLog = ctrl::log::named("servicetoken");

// Backoff after failed mints, computed from status: 5 s doubling to 10 min.
ctrl::Duration failureBackoff(int32_t attempts) {
  auto d = std::chrono::seconds(5);
  for (int i = 1; i < attempts && d < std::chrono::minutes(10); ++i) d *= 2;
  return std::min<ctrl::Duration>(d, std::chrono::minutes(10));
}

// Resource versions are opaque by contract, but etcd's are increasing
// integers; used only to tell whether the cache caught up with our write.
bool atLeast(const std::string& a, const std::string& b) {
  uint64_t x = 0, y = 0;
  auto ra = std::from_chars(a.data(), a.data() + a.size(), x);
  auto rb = std::from_chars(b.data(), b.data() + b.size(), y);
  if (ra.ec != std::errc() || rb.ec != std::errc()) return true;  // trust the cache
  return x >= y;
}

ctrl::ObjectRef refOf(const ServiceToken& t) {
  return {"ServiceToken", kApiVersion, t.meta.namespace_,
          t.meta.name,    t.meta.uid,  t.meta.resourceVersion};
}

// Creation timestamps have a resolution of one second. Within one second a
// token that already holds a minted token is the older, so no second token
// with its name is ever minted; then the name decides.
template <typename HoldsToken>
bool older(const ServiceToken& a, const ServiceToken& b, HoldsToken holdsToken) {
  if (a.meta.creationTimestamp != b.meta.creationTimestamp) {
    return a.meta.creationTimestamp < b.meta.creationTimestamp;
  }
  const bool aHolds = holdsToken(a), bHolds = holdsToken(b);
  if (aHolds != bHolds) return aHolds;
  return a.meta.name < b.meta.name;
}

std::optional<WallTime> parseTime(const std::string& s) {
  if (s.empty()) return std::nullopt;
  auto t = ctrl::parseRfc3339(s);
  return t.isOk() ? std::optional<WallTime>(*t) : std::nullopt;
}

// Only labelled Secrets are watched, so the removal of a foreign Secret is not
// seen: a SecretNotOwned token is rechecked (one GET, nothing minted), 1 min
// growing with the time it has been stalled to at most 10 min.
ctrl::Duration notOwnedRecheck(const ServiceToken& t, WallTime now) {
  ctrl::Duration wait = std::chrono::minutes(1);
  const Condition* stalled = findCondition(t.status.conditions, "Stalled");
  if (stalled != nullptr && stalled->status == "True" && stalled->reason == "SecretNotOwned") {
    auto since = parseTime(stalled->lastTransitionTime);
    if (since && now > *since) {
      wait = std::max(wait, std::chrono::duration_cast<ctrl::Duration>(now - *since));
    }
  }
  return std::min<ctrl::Duration>(wait, std::chrono::minutes(10));
}

struct Subject {
  std::string id;
  std::string email;
  Blocker blocker = Blocker::kNone;
  std::string message;
};

}  // namespace

std::string serviceUserIndexKey(const std::string& ns, const std::string& userName) {
  return ns + "/user:" + userName;
}

std::vector<std::string> displayNameIndex(const ServiceToken& token) {
  return {serviceUserIndex(token).front() + "/" + token.spec.displayName};
}

std::vector<std::string> serviceUserIndex(const ServiceToken& token) {
  if (token.spec.type == TokenType::kPersonal) {
    return {token.meta.namespace_ + "/owner:" + token.spec.owner};
  }
  return {serviceUserIndexKey(token.meta.namespace_, token.spec.serviceUserRef)};
}

ServiceTokenReconciler::ServiceTokenReconciler(ServiceTokenReconcilerDeps deps) : d_(deps) {}

ctrl::StatusOr<ctrl::Result> ServiceTokenReconciler::reconcile(const ctrl::Request& request,
                                                               std::stop_token /*stop*/) {
  const std::string key = request.key();
  auto token = d_.tokens->get(key);
  if (!token) {
    d_.metrics->forget(request.ns, request.name);
    std::lock_guard lock(mu_);
    writtenSecrets_.erase(key);
    writtenStatus_.erase(key);
    return ctrl::Result{};
  }
  if (token->meta.deletionTimestamp) return ctrl::Result{};
  const ServiceToken& t = *token;
  const WallTime now = d_.clock->wallNow();
  auto log = kLog.withValues({{"ServiceToken", key}});

  StatusInput sin;
  sin.token = &t;
  sin.now = now;
  sin.secretName = t.secretName();
  sin.failedAttempts = t.status.failedAttempts;
  sin.lastFailureTime = t.status.lastFailureTime;
  if (const Condition* issuing = findCondition(t.status.conditions, "Issuing")) {
    auto pos = issuing->message.find(" failed: ");
    if (pos != std::string::npos) sin.failureMessage = issuing->message.substr(pos + 9);
  }

  // 1. What the spec asks for.
  auto lifetime = resolveLifetime(t.spec);
  ctrl::StatusOr<RotationSettings> rotation =
      lifetime.isOk() ? resolveRotation(t.spec, *lifetime)
                      : ctrl::StatusOr<RotationSettings>(lifetime.status());
  if (lifetime.isOk()) sin.lifetimeLabel = lifetime->label;
  if (!rotation.isOk()) {
    sin.blocker = Blocker::kInvalidSpec;
    sin.blockerMessage = rotation.status().message();
  }

  // 2. Who the token acts as, and whether its name is free.
  Subject subject;
  if (t.spec.type == TokenType::kPersonal) {
    subject.id = t.spec.owner;
  } else {
    auto user = d_.users->get(t.meta.namespace_, t.spec.serviceUserRef);
    if (!user) {
      subject.blocker = Blocker::kServiceUserNotFound;
      subject.message = "ServiceUser " + t.spec.serviceUserRef + " does not exist in namespace " +
                        t.meta.namespace_ + "; the token is minted once it does";
    } else {
      const Condition* ready = findCondition(user->status.conditions, "Ready");
      subject.id = user->status.userId;
      subject.email = user->spec.email;
      if (subject.id.empty() || ready == nullptr || ready->status != "True" ||
          user->status.observedGeneration != user->meta.generation) {
        subject.blocker = Blocker::kServiceUserNotReady;
        subject.message =
            "ServiceUser " + t.spec.serviceUserRef + " is not Ready" +
            (ready != nullptr && !ready->message.empty() ? ": " + ready->message : "");
      }
    }
  }
  // Whether a token holds a minted token: per its status, the Secret cache, or
  // what this process just wrote (the caches may lag behind a mint).
  auto holdsToken = [&](const ServiceToken& x) {
    if (x.status.revision > 0) return true;
    auto s = d_.secrets->get(ctrl::objectKey(x.meta.namespace_, x.secretName()));
    if (s && ownedBy(*s, x)) return true;
    std::lock_guard lock(mu_);
    return writtenSecrets_.contains(x.meta.key());
  };
  for (const auto& sibling : d_.tokens->byIndex(kByDisplayNameIndex, displayNameIndex(t).front())) {
    if (sibling->meta.uid == t.meta.uid || sibling->meta.deletionTimestamp) continue;
    if (sibling->spec.displayName == t.spec.displayName && older(*sibling, t, holdsToken)) {
      subject.blocker = Blocker::kDuplicateName;
      subject.message =
          "ServiceToken " + sibling->meta.name + " already uses the display name \"" +
          t.spec.displayName + "\" for " +
          (t.spec.type == TokenType::kPersonal ? "owner " + t.spec.owner
                                               : "ServiceUser " + t.spec.serviceUserRef) +
          "; display names are unique per user";
      break;
    }
  }
  if (sin.blocker == Blocker::kNone && subject.blocker != Blocker::kNone) {
    sin.blocker = subject.blocker;
    sin.blockerMessage = subject.message;
  }
  sin.subject = subject.id;

  // 3. The Secret: the cache, or what we wrote if the cache has not caught up.
  const std::string secretKey = ctrl::objectKey(t.meta.namespace_, t.secretName());
  std::shared_ptr<const TokenSecret> secret = d_.secrets->get(secretKey);
  {
    std::lock_guard lock(mu_);
    auto it = writtenSecrets_.find(key);
    if (it != writtenSecrets_.end()) {
      if (it->second->meta.name != t.secretName()) {
        writtenSecrets_.erase(it);
      } else if (!secret ||
                 !atLeast(secret->meta.resourceVersion, it->second->meta.resourceVersion)) {
        secret = it->second;
      } else {
        writtenSecrets_.erase(it);
      }
    }
  }
  // A foreign Secret is not in the cache (only labelled Secrets are watched).
  // While the token is stalled on one, look it up before minting anything.
  const Condition* stalled = findCondition(t.status.conditions, "Stalled");
  if (!secret && stalled != nullptr && stalled->status == "True" &&
      stalled->reason == blockerReason(Blocker::kSecretNotOwned)) {
    auto live = d_.client->get(ctrl::resources::secret(), t.meta.namespace_, t.secretName());
    if (live.isOk()) {
      auto decoded = decodeTokenSecret(*live);
      if (decoded.isOk()) secret = std::make_shared<const TokenSecret>(std::move(decoded).value());
    }
  }
  const TokenSecret* owned = nullptr;
  if (secret && !ownedBy(*secret, t)) {
    if (sin.blocker == Blocker::kNone || !isStalled(sin.blocker)) {
      sin.blocker = Blocker::kSecretNotOwned;
      sin.blockerMessage = "Secret " + t.secretName() +
                           " exists and is not managed by this ServiceToken; it is left untouched";
    }
  } else if (secret) {
    owned = secret.get();
    sin.issued = readIssuedState(*secret);
  }

  // The renewal time of the token the Secret holds, from its own lifetime.
  auto renewalOf = [&](const std::optional<IssuedState>& issued) -> std::optional<WallTime> {
    if (!issued || !issued->issuedAt || !issued->expiresAt || !rotation.isOk()) return std::nullopt;
    Lifetime own{std::chrono::duration_cast<seconds>(*issued->expiresAt - *issued->issuedAt), ""};
    return renewalTime(*issued->issuedAt, own, *rotation, t.meta.uid);
  };
  const std::optional<WallTime> renewal = renewalOf(sin.issued);

  // 4. Issue when a policy says so and nothing blocks it.
  std::optional<WallTime> retryAt;
  bool lost = false;
  if (sin.blocker == Blocker::kNone) {
    IssuingInput in{&t, owned, specHash(t.spec), renewal, now};
    std::optional<Trigger> trigger = evaluateIssuePolicies(in);
    if (trigger) {
      auto lastFailure = parseTime(t.status.lastFailureTime);
      if (t.status.failedAttempts > 0 && lastFailure &&
          now < *lastFailure + failureBackoff(t.status.failedAttempts)) {
        sin.pendingTrigger = trigger;
        retryAt = *lastFailure + failureBackoff(t.status.failedAttempts);
      } else {
        Issuer issuer(*d_.client, *d_.authority);
        IssueRequest req{&t,        owned,     *trigger,    subject.id, subject.email,
                         *lifetime, *rotation, in.specHash, now};
        IssueOutcome out = issuer.issue(req);
        switch (out.kind) {
          case IssueOutcome::Kind::kWritten: {
            sin.failedAttempts = 0;
            sin.lastFailureTime.clear();
            sin.failureMessage.clear();
            if (out.secret) {
              std::lock_guard lock(mu_);
              writtenSecrets_[key] = out.secret;
              sin.issued = readIssuedState(*out.secret);
            }
            const std::string& jti = out.minted.tokenId;
            const std::string rev = std::to_string(out.revision);
            d_.metrics->minted(trigger->reason);
            log.info("Minted token", {{"reason", trigger->reason},
                                      {"tokenId", jti},
                                      {"revision", out.revision},
                                      {"Secret", secretKey}});
            if (trigger->reason == "Initial") {
              d_.events->event(
                  refOf(t), ctrl::EventType::kNormal, "Minted", "IssueToken",
                  "Minted token " + jti + " (revision " + rev + ") into Secret " + t.secretName());
            } else if (trigger->reason == "SecretDeleted" || trigger->reason == "SecretTampered") {
              d_.events->event(refOf(t), ctrl::EventType::kWarning, "SecretRecreated", "IssueToken",
                               trigger->message + " (token " + jti + ", revision " + rev + ")");
            } else {
              d_.metrics->rotated();
              d_.events->event(
                  refOf(t), ctrl::EventType::kNormal, "Rotated", "RotateToken",
                  "Rotated to token " + jti + " (revision " + rev + "): " + trigger->message +
                      (out.keptPrevious
                           ? "; the previous token is kept in " + std::string(kPreviousTokenKey) +
                                 " for the grace period"
                           : ""));
            }
            if (!lifetime->duration) {
              d_.events->event(refOf(t), ctrl::EventType::kWarning, "NeverExpires", "IssueToken",
                               "Token " + jti +
                                   " never expires; in production prefer an expiration of at "
                                   "most 1y with rotation");
            }
            break;
          }
          case IssueOutcome::Kind::kLost:
            lost = true;
            sin.pendingTrigger = trigger;
            break;
          case IssueOutcome::Kind::kNotOwned:
            sin.blocker = Blocker::kSecretNotOwned;
            sin.blockerMessage = "Secret " + t.secretName() +
                                 " exists and is not managed by this ServiceToken; it is left "
                                 "untouched";
            sin.issued.reset();
            break;
          case IssueOutcome::Kind::kFailed: {
            sin.pendingTrigger = trigger;
            sin.failedAttempts = t.status.failedAttempts + 1;
            sin.lastFailureTime = ctrl::formatRfc3339(now);
            sin.failureMessage = out.error.message();
            retryAt = now + failureBackoff(sin.failedAttempts);
            d_.metrics->error(trigger->reason);
            log.error(out.error, "Failed to issue token",
                      {{"reason", trigger->reason}, {"attempt", sin.failedAttempts}});
            d_.events->event(refOf(t), ctrl::EventType::kWarning, "MintFailed", "IssueToken",
                             "Attempt " + std::to_string(sin.failedAttempts) +
                                 " to issue a token failed: " + out.error.message());
            break;
          }
        }
      }
    } else if (owned != nullptr) {
      // 4b. Nothing to mint: keep the Secret's metadata in line and end grace periods.
      bool dropPrevious = false;
      if (sin.issued->previous) {
        auto until = parseTime(sin.issued->previous->retainedUntil);
        dropPrevious = !until || now >= *until;
      }
      if (auto patch = secretMaintenancePatch(t, *owned, dropPrevious)) {
        auto patched = d_.client->patch(ctrl::resources::secret(), t.meta.namespace_,
                                        t.secretName(), ctrl::PatchType::kMerge, *patch);
        if (patched.isOk()) {
          auto decoded = decodeTokenSecret(*patched);
          if (decoded.isOk()) {
            auto fresh = std::make_shared<const TokenSecret>(std::move(decoded).value());
            std::lock_guard lock(mu_);
            writtenSecrets_[key] = fresh;
            sin.issued = readIssuedState(*fresh);
          }
          if (dropPrevious) log.info("Removed previous token after its grace period", {});
        } else if (patched.status().code() == ctrl::Code::kConflict) {
          lost = true;
        } else {
          return patched.status().withContext("updating Secret " + secretKey);
        }
      }
    }
  }

  sin.renewalTime = renewalOf(sin.issued);

  // Blocker transitions are worth an event; repeats are not.
  const Condition* ready = findCondition(t.status.conditions, "Ready");
  const std::string reason = blockerReason(sin.blocker);
  // A user that is merely not reconciled yet is a passing state, not news.
  if (!reason.empty() && sin.blocker != Blocker::kServiceUserNotReady &&
      (ready == nullptr || ready->reason != reason)) {
    d_.events->event(refOf(t),
                     isStalled(sin.blocker) ? ctrl::EventType::kWarning : ctrl::EventType::kNormal,
                     reason, "IssueToken", sin.blockerMessage);
  }

  // 5. Status, written only when it changed.
  ServiceTokenStatus desired = desiredStatus(sin);
  if (desired.phase == "Expired" && t.status.phase != "Expired") {
    d_.events->event(refOf(t), ctrl::EventType::kWarning, "Expired", "TrackExpiry",
                     "Token " + desired.tokenId + " expired at " + desired.expiresAt);
  }
  bool skip = desired == t.status;
  {
    std::lock_guard lock(mu_);
    auto it = writtenStatus_.find(key);
    if (it != writtenStatus_.end()) {
      if (it->second == t.status) {
        writtenStatus_.erase(it);  // the cache caught up
      } else if (it->second == desired) {
        skip = true;
      }
    }
  }
  if (!skip) {
    ctrl::Json patch = {{"status", encodeStatus(desired)}};
    ctrl::PatchOptions options;
    options.subresource = "status";
    auto written = d_.client->patch(serviceTokenResource(), t.meta.namespace_, t.meta.name,
                                    ctrl::PatchType::kMerge, patch, options);
    if (!written.isOk()) {
      if (written.status().code() == ctrl::Code::kNotFound) return ctrl::Result{};
      return written.status().withContext("updating status");
    }
    std::lock_guard lock(mu_);
    writtenStatus_[key] = desired;
  }
  d_.metrics->observe(
      t.meta.namespace_, t.meta.name, parseTime(desired.expiresAt), parseTime(desired.renewalTime),
      desired.phase == "Active" && findCondition(desired.conditions, "Ready")->status == "True");

  // 6. When to look again.
  if (lost) {
    ctrl::Result again;
    again.requeue = true;
    return again;
  }
  std::optional<WallTime> wake = retryAt;
  auto consider = [&](std::optional<WallTime> at) {
    if (at && *at > now && (!wake || *at < *wake)) wake = at;
  };
  if (sin.blocker == Blocker::kNone) consider(sin.renewalTime);
  if (sin.blocker == Blocker::kSecretNotOwned) consider(now + notOwnedRecheck(t, now));
  if (sin.issued) {
    consider(sin.issued->expiresAt);
    if (sin.issued->previous) consider(parseTime(sin.issued->previous->retainedUntil));
  }
  if (!wake) return ctrl::Result{};
  ctrl::Result later;
  later.requeueAfter =
      std::chrono::duration_cast<ctrl::Duration>(*wake - now) + std::chrono::milliseconds(1);
  return later;
}

}  // namespace st
