#include "servicetoken/reconciler.h"

#include <algorithm>

#include "api/codec.h"
#include "controller/log.h"
#include "controller/object_meta.h"
#include "policy/issue_policy.h"
#include "policy/lifetime.h"
#include "policy/mint_guard.h"
#include "policy/schedule.h"
#include "servicetoken/conditions.h"
#include "servicetoken/failure.h"
#include "servicetoken/issued_state.h"
#include "servicetoken/issuer.h"
#include "servicetoken/resource_version.h"
#include "servicetoken/secret_builder.h"
#include "servicetoken/status_policy.h"
#include "servicetoken/subject.h"
#include "servicetoken/wake_up.h"

namespace st {
namespace {

using ctrl::WallTime;
using std::chrono::seconds;

const auto kLog = ctrl::log::named("servicetoken");

// When a re-mint the pacer refused is tried again.
constexpr std::chrono::seconds kRemintRetry{1};

ctrl::ObjectRef refOf(const ServiceToken& t) {
  return {"ServiceToken", kApiVersion, t.meta.namespace_,
          t.meta.name,    t.meta.uid,  t.meta.resourceVersion};
}

std::optional<WallTime> parseTime(const std::string& s) {
  if (s.empty()) return std::nullopt;
  auto t = ctrl::parseRfc3339(s);
  return t.isOk() ? std::optional<WallTime>(*t) : std::nullopt;
}

const Condition* stalledCondition(const ServiceToken& t, Blocker reason) {
  const Condition* c = findCondition(t.status.conditions, "Stalled");
  if (c == nullptr || c->status != "True" || c->reason != blockerReason(reason)) return nullptr;
  return c;
}

// Only labelled Secrets are watched, so the removal of a foreign Secret is not
// seen: a SecretNotOwned token is rechecked (one GET, nothing minted), 1 min
// growing with the time it has been stalled to at most 10 min.
ctrl::Duration notOwnedRecheck(const ServiceToken& t, WallTime now) {
  ctrl::Duration wait = std::chrono::minutes(1);
  if (const Condition* c = stalledCondition(t, Blocker::kSecretNotOwned)) {
    auto since = parseTime(c->lastTransitionTime);
    if (since && now > *since) {
      wait = std::max(wait, std::chrono::duration_cast<ctrl::Duration>(now - *since));
    }
  }
  return std::min<ctrl::Duration>(wait, std::chrono::minutes(10));
}

std::string notOwnedMessage(const ServiceToken& t) {
  return "Secret " + t.secretName() +
         " exists and is not managed by this ServiceToken; it is left untouched";
}

}  // namespace

// ------------------------------------------------------------------ indexes

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

// -------------------------------------------------------------------- steps

// Everything read before deciding.
struct ServiceTokenReconciler::Gathered {
  ctrl::StatusOr<Lifetime> lifetime{ctrl::Status(ctrl::Code::kInternal, "not resolved")};
  ctrl::StatusOr<RotationSettings> rotation{ctrl::Status(ctrl::Code::kInternal, "not resolved")};
  Subject subject;
  Blocker blocker = Blocker::kNone;  // the first reason not to mint, by precedence
  std::string blockerMessage;
  SecretObservation secret;
  ctrl::Status secretError;  // a live read failed: retry the whole reconcile
  std::optional<IssuedState> issued;
  std::optional<WallTime> renewal;
};

struct ServiceTokenReconciler::Decision {
  std::optional<Trigger> trigger;  // a mint is due
  bool mintNow = false;            // ... and may happen now
  std::optional<WallTime> retryAt;
  Blocker blocker = Blocker::kNone;  // a guard or a permanent failure holds it back
  std::string blockerMessage;
  bool humanActed = false;  // spec or rotate annotation changed since the guard tripped
  std::vector<std::string> automaticMints;
};

struct ServiceTokenReconciler::Acted {
  bool minted = false;
  bool lost = false;  // another writer won a race: look again soon
  std::string tokenId;
  int64_t revision = 0;
  bool keptPrevious = false;
  std::optional<IssuedState> issued;  // the Secret's token after acting
  bool foreign = false;               // the create found a Secret that is not ours
  int32_t failedAttempts = 0;
  std::string lastFailureTime;
  std::string failureReason;
  std::string failureMessage;
  std::optional<WallTime> retryAt;
  std::vector<std::string> automaticMints;
  ctrl::Status error;  // a maintenance write failed: retry with rate limiting
};

ServiceTokenReconciler::ServiceTokenReconciler(ServiceTokenReconcilerDeps deps) : d_(deps) {}

// 1. Gather: spec, subject, display name, Secret. Blockers by precedence:
// an invalid spec, then the subject, then the name, then the Secret.
ServiceTokenReconciler::Gathered ServiceTokenReconciler::gather(const ServiceToken& t,
                                                                WallTime /*now*/) {
  Gathered g;
  // Revoked comes first: nothing else matters for a token withdrawn for good.
  if (t.spec.revoked) {
    g.blocker = Blocker::kRevoked;
    g.blockerMessage = "The token was revoked (spec.revoked): its value is removed from Secret " +
                       t.secretName() + " and it is never minted or rotated again";
  }
  g.lifetime = resolveLifetime(t.spec);
  g.rotation = g.lifetime.isOk() ? resolveRotation(t.spec, *g.lifetime)
                                 : ctrl::StatusOr<RotationSettings>(g.lifetime.status());
  auto block = [&](Blocker b, std::string message) {
    if (g.blocker == Blocker::kNone) {
      g.blocker = b;
      g.blockerMessage = std::move(message);
    }
  };
  if (!g.rotation.isOk()) block(Blocker::kInvalidSpec, g.rotation.status().message());

  g.subject = resolveSubject(t, *d_.users);
  if (g.subject.blocker != Blocker::kNone) block(g.subject.blocker, g.subject.message);

  // The display name: every competitor's claim, this one's included.
  std::vector<NameClaimant> claimants;
  std::vector<std::shared_ptr<const ServiceToken>> keep;
  {
    std::lock_guard lock(mu_);
    for (auto& other : d_.tokens->byIndex(kByDisplayNameIndex, displayNameIndex(t).front())) {
      if (other->meta.deletionTimestamp || other->spec.displayName != t.spec.displayName) continue;
      auto secret = d_.secrets->get(ctrl::objectKey(other->meta.namespace_, other->secretName()));
      const TokenSecret* owned = secret && ownedBy(*secret, *other) ? secret.get() : nullptr;
      auto minted = mintedNames_.find(other->meta.key());
      claimants.push_back(
          {other.get(),
           holdsDisplayName(*other, owned,
                            minted == mintedNames_.end() ? std::string_view() : minted->second)});
      keep.push_back(std::move(other));
    }
  }
  const ServiceToken* owner = claimants.empty() ? &t : displayNameOwner(claimants);
  if (owner != nullptr && owner->meta.uid != t.meta.uid) {
    block(Blocker::kDuplicateName,
          "ServiceToken " + owner->meta.name + " already uses the display name \"" +
              t.spec.displayName + "\" for " +
              (t.spec.type == TokenType::kPersonal ? "owner " + t.spec.owner
                                                   : "ServiceUser " + t.spec.serviceUserRef) +
              "; display names are unique per user");
  }

  auto observed = observeSecret({d_.secrets, d_.client, d_.authority, &written_}, t, g.subject.id);
  if (!observed.isOk()) {
    g.secretError = observed.status();
    return g;
  }
  g.secret = std::move(observed).value();
  if (g.secret.forged) d_.metrics->adoptionRefused();
  if (g.secret.foreign && !isStalled(g.blocker)) {
    g.blocker = Blocker::kSecretNotOwned;
    g.blockerMessage = notOwnedMessage(t);
  }
  if (g.secret.secret) {
    g.issued = readIssuedState(*g.secret.secret);
    if (g.issued->issuedAt && g.issued->expiresAt && g.rotation.isOk()) {
      Lifetime own{std::chrono::duration_cast<seconds>(*g.issued->expiresAt - *g.issued->issuedAt),
                   ""};
      g.renewal = renewalTime(*g.issued->issuedAt, own, *g.rotation, t.meta.uid);
    }
  }
  return g;
}

// 2. Decide: is a mint due, and may it happen now?
ServiceTokenReconciler::Decision ServiceTokenReconciler::decide(const ServiceToken& t,
                                                                const Gathered& g,
                                                                WallTime now) const {
  Decision d;
  d.automaticMints = t.status.automaticMints;
  if (g.blocker != Blocker::kNone) return d;
  IssuingInput in{&t,        g.secret.secret.get(), specHash(t.spec),
                  g.renewal, g.subject.userUid,     g.secret.forged,
                  now};
  in.signingKeyRevoked = g.secret.secret && d_.authority->keyRevoked(g.secret.secret->kid);
  d.trigger = evaluateIssuePolicies(in);
  if (!d.trigger) return d;

  // Re-mints after a key was withdrawn come for every token at once: paced,
  // so the API server sees a bounded write rate. They are not automatic (an
  // operator asked), so the mint-rate guard neither counts nor refuses them.
  if (d.trigger->reason == TriggerReason::kSigningKeyRetired && d_.remintPacer != nullptr &&
      !d_.remintPacer->tryTake()) {
    d.retryAt = now + kRemintRetry;
    return d;
  }

  // A spec change (a new generation) or a new rotate request is a human acting.
  const bool specMoved = t.status.observedGeneration != t.meta.generation;
  const bool manual = d.trigger->reason == TriggerReason::kManualRotation;

  // Backoff after failures, computed from status so a restart keeps the pace.
  auto lastFailure = parseTime(t.status.lastFailureTime);
  if (t.status.failedAttempts > 0 && lastFailure && !specMoved) {
    const WallTime retry =
        *lastFailure + failureBackoff(t.status.failedAttempts, t.status.lastFailureReason);
    if (now < retry) {
      d.retryAt = retry;
      if (isPermanentFailure(t.status.lastFailureReason)) {
        d.blocker = Blocker::kMintRejected;
        d.blockerMessage = t.status.lastFailureMessage;
      }
      return d;
    }
  }

  MintGuardInput guard;
  guard.history = &t.status.automaticMints;
  guard.tripped = stalledCondition(t, Blocker::kMintRateExceeded) != nullptr;
  guard.humanActed = specMoved || manual;
  guard.automatic = isAutomatic(d.trigger->reason);
  guard.now = now;
  MintGuardDecision verdict = evaluateMintGuard(guard);
  d.automaticMints = verdict.history;
  if (!verdict.allow) {
    d.blocker = Blocker::kMintRateExceeded;
    d.blockerMessage = verdict.message;
    return d;
  }
  d.mintNow = true;
  return d;
}

// 3. Act: mint and store, or keep the Secret's metadata in line.
ServiceTokenReconciler::Acted ServiceTokenReconciler::act(const ServiceToken& t, const Gathered& g,
                                                          const Decision& d, WallTime now) {
  Acted a;
  a.issued = g.issued;
  a.failedAttempts = t.status.failedAttempts;
  a.lastFailureTime = t.status.lastFailureTime;
  a.failureReason = t.status.lastFailureReason;
  a.failureMessage = t.status.lastFailureMessage;
  a.retryAt = d.retryAt;
  a.automaticMints = d.automaticMints;
  const std::string key = t.meta.key();

  if (d.mintNow) {
    Issuer issuer(*d_.client, *d_.authority);
    IssueRequest req{&t,           g.secret.secret.get(), *d.trigger,
                     g.subject.id, g.subject.email,       g.subject.userUid,
                     *g.lifetime,  *g.rotation,           specHash(t.spec),
                     now};
    IssueOutcome out = issuer.issue(req);
    switch (out.kind) {
      case IssueOutcome::Kind::kWritten:
        a.minted = true;
        a.tokenId = out.minted.tokenId;
        a.revision = out.revision;
        a.keptPrevious = out.keptPrevious;
        a.failedAttempts = 0;
        a.lastFailureTime.clear();
        a.failureReason.clear();
        a.failureMessage.clear();
        a.retryAt.reset();
        if (isAutomatic(d.trigger->reason)) {
          a.automaticMints = recordAutomaticMint(d.automaticMints, now);
        } else if (d.trigger->reason != TriggerReason::kInitial &&
                   d.trigger->reason != TriggerReason::kSigningKeyRetired) {
          a.automaticMints.clear();  // a human asked: count afresh
        }
        if (out.secret) {
          written_.remember(key, out.secret);
          a.issued = readIssuedState(*out.secret);
        }
        {
          std::lock_guard lock(mu_);
          mintedNames_[key] = t.spec.displayName;
        }
        break;
      case IssueOutcome::Kind::kLost:
        a.lost = true;
        break;
      case IssueOutcome::Kind::kNotOwned:
        a.foreign = true;
        a.issued.reset();
        break;
      case IssueOutcome::Kind::kFailed:
        a.failedAttempts = t.status.failedAttempts + 1;
        a.lastFailureTime = ctrl::formatRfc3339(now);
        a.failureReason = failureReason(out.error);
        a.failureMessage = out.error.message();
        a.retryAt = now + failureBackoff(a.failedAttempts, a.failureReason);
        d_.metrics->error(d.trigger->name());
        kLog.withValues({{"ServiceToken", key}})
            .error(out.error, "Failed to issue token",
                   {{"reason", d.trigger->name()},
                    {"failure", a.failureReason},
                    {"attempt", a.failedAttempts}});
        break;
    }
    return a;
  }

  if (g.blocker == Blocker::kRevoked) {
    if (g.secret.secret) revokeSecret(t, *g.secret.secret, a);
    return a;
  }
  // Nothing to mint: keep the Secret's metadata in line and end grace periods.
  if (d.trigger || g.blocker != Blocker::kNone || !g.secret.secret) return a;
  const TokenSecret& owned = *g.secret.secret;
  bool dropPrevious = false;
  if (g.issued->previous) {
    auto until = parseTime(g.issued->previous->retainedUntil);
    dropPrevious = !until || now >= *until;
  }
  auto patch = secretMaintenancePatch(t, owned, dropPrevious);
  if (!patch) return a;
  auto patched = d_.client->patch(ctrl::resources::secret(), t.meta.namespace_, t.secretName(),
                                  ctrl::PatchType::kMerge, *patch);
  if (patched.isOk()) {
    auto decoded = decodeTokenSecret(*patched);
    if (decoded.isOk()) {
      auto fresh = std::make_shared<const TokenSecret>(std::move(decoded).value());
      written_.remember(key, fresh);
      a.issued = readIssuedState(*fresh);
    }
    if (dropPrevious) {
      kLog.withValues({{"ServiceToken", key}})
          .info("Removed previous token after its grace period", {});
    }
  } else if (patched.status().code() == ctrl::Code::kConflict) {
    a.lost = true;
  } else {
    a.error = patched.status().withContext("updating Secret " + t.secretName());
  }
  return a;
}

// Revoked: the token values leave the Secret (the annotations stay, a record
// of what was revoked). Written with the Secret's resourceVersion, so a
// concurrent change is looked at again rather than overwritten.
void ServiceTokenReconciler::revokeSecret(const ServiceToken& t, const TokenSecret& secret,
                                          Acted& a) {
  if (secret.tokenHash.empty() && secret.previousTokenHash.empty()) return;  // already done
  ctrl::Json annotations = ctrl::Json::object();
  for (const char* k : {kPreviousTokenIdAnnotation, kPreviousTokenHashAnnotation,
                        kPreviousExpiresAtAnnotation, kPreviousRetainedUntilAnnotation}) {
    annotations[k] = nullptr;
  }
  ctrl::Json patch = {
      {"metadata",
       {{"resourceVersion", secret.meta.resourceVersion}, {"annotations", annotations}}},
      {"data", {{kTokenKey, nullptr}, {kPreviousTokenKey, nullptr}}}};
  auto patched = d_.client->patch(ctrl::resources::secret(), t.meta.namespace_, t.secretName(),
                                  ctrl::PatchType::kMerge, patch);
  if (!patched.isOk()) {
    if (patched.status().code() == ctrl::Code::kConflict) {
      a.lost = true;
    } else if (patched.status().code() != ctrl::Code::kNotFound) {
      a.error =
          patched.status().withContext("removing the revoked token from Secret " + t.secretName());
    }
    return;
  }
  auto decoded = decodeTokenSecret(*patched);
  if (decoded.isOk()) {
    auto fresh = std::make_shared<const TokenSecret>(std::move(decoded).value());
    written_.remember(t.meta.key(), fresh);
    a.issued = readIssuedState(*fresh);
  }
  kLog.withValues({{"ServiceToken", t.meta.key()}})
      .info("Removed the revoked token from its Secret", {{"Secret", t.secretName()}});
}

// After a move (spec.secret.name changed), the old Secret loses its token once
// the new one holds a valid token: deleted when this ServiceToken controls it,
// otherwise (deletionPolicy Retain) emptied of its token values and released.
ctrl::Status ServiceTokenReconciler::finishMove(const ServiceToken& t, const Gathered& /*g*/,
                                                const Acted& a) {
  const std::string& old = t.status.secretName;
  if (old.empty() || old == t.secretName()) return ctrl::Status::ok();
  if (!a.issued || !a.issued->valueMatches) return ctrl::Status::ok();
  auto secret = d_.secrets->get(ctrl::objectKey(t.meta.namespace_, old));
  if (!secret || !ownedBy(*secret, t)) return ctrl::Status::ok();
  const ctrl::OwnerReference* controller = secret->meta.controllerRef();
  ctrl::Status done;
  if (controller != nullptr && controller->uid == t.meta.uid) {
    ctrl::DeleteOptions options;
    options.preconditionUid = secret->meta.uid;
    done = d_.client->remove(ctrl::resources::secret(), t.meta.namespace_, old, options);
  } else {
    ctrl::Json patch = {{"metadata",
                         {{"resourceVersion", secret->meta.resourceVersion},
                          {"labels", {{kManagedByLabel, nullptr}, {kTokenLabel, nullptr}}}}},
                        {"data", {{kTokenKey, nullptr}, {kPreviousTokenKey, nullptr}}}};
    done = d_.client
               ->patch(ctrl::resources::secret(), t.meta.namespace_, old, ctrl::PatchType::kMerge,
                       patch)
               .status();
  }
  if (!done.isOk() && done.code() != ctrl::Code::kNotFound) {
    return done.withContext("removing the token from the old Secret " + old);
  }
  kLog.withValues({{"ServiceToken", t.meta.key()}})
      .info("Removed the token from the old Secret after a move",
            {{"from", old}, {"to", t.secretName()}});
  return ctrl::Status::ok();
}

bool ServiceTokenReconciler::ownStatusWrite(const std::string& key,
                                            const std::string& resourceVersion) {
  std::lock_guard lock(mu_);
  auto it = writtenStatus_.find(key);
  if (it == writtenStatus_.end() || it->second.resourceVersion != resourceVersion) return false;
  writtenStatus_.erase(it);  // the cache caught up
  return true;
}

bool ServiceTokenReconciler::ownSecretWrite(const TokenSecret& secret) {
  auto owner = secret.meta.labels.find(kTokenLabel);
  if (owner == secret.meta.labels.end()) return false;
  const std::string key = ctrl::objectKey(secret.meta.namespace_, owner->second);
  auto mine = written_.find(key);
  if (!mine || mine->meta.name != secret.meta.name ||
      mine->meta.resourceVersion != secret.meta.resourceVersion) {
    return false;
  }
  written_.forget(key);  // the cache caught up
  return true;
}

ServiceToken ServiceTokenReconciler::freshest(const ServiceToken& cached) {
  ServiceToken t = cached;
  std::lock_guard lock(mu_);
  auto it = writtenStatus_.find(cached.meta.key());
  if (it == writtenStatus_.end()) return t;
  if (resourceVersionAtLeast(cached.meta.resourceVersion, it->second.resourceVersion)) {
    writtenStatus_.erase(it);  // the cache caught up
  } else {
    t.status = it->second.status;
  }
  return t;
}

// 4. Report: the status, written only when it changed. `t` is freshest().
ctrl::Status ServiceTokenReconciler::report(const ServiceToken& t,
                                            const ServiceTokenStatus& desired) {
  if (desired == t.status) return ctrl::Status::ok();
  ctrl::PatchOptions options;
  options.subresource = "status";
  auto body = statusPatch(desired);
  if (!body.isOk()) return body.status().withContext("writing status");
  // Only the new resourceVersion is read from the answer: build no more.
  auto written = d_.client->patchText(serviceTokenResource(), t.meta.namespace_, t.meta.name,
                                      ctrl::PatchType::kMerge, std::move(body).value(), options,
                                      ctrl::metadataOnlyAnswer());
  if (!written.isOk()) {
    if (written.status().code() == ctrl::Code::kNotFound) return ctrl::Status::ok();
    return written.status().withContext("updating status");
  }
  std::string version;
  if (written->contains("metadata")) version = (*written)["metadata"].value("resourceVersion", "");
  std::lock_guard lock(mu_);
  writtenStatus_[t.meta.key()] = {desired, version};
  return ctrl::Status::ok();
}

// Events, logs and metrics for what happened; never a token value.
void ServiceTokenReconciler::announce(const ServiceToken& t, const Gathered& g, const Decision& d,
                                      const Acted& a, const StatusInput& sin,
                                      const ServiceTokenStatus& desired) {
  auto log = kLog.withValues({{"ServiceToken", t.meta.key()}});
  const std::string secretKey = ctrl::objectKey(t.meta.namespace_, t.secretName());
  if (a.minted) {
    const Trigger& trigger = *d.trigger;
    const std::string rev = std::to_string(a.revision);
    d_.metrics->minted(trigger.name());
    log.info("Minted token", {{"reason", trigger.name()},
                              {"tokenId", a.tokenId},
                              {"revision", a.revision},
                              {"Secret", secretKey}});
    switch (trigger.reason) {
      case TriggerReason::kInitial:
        d_.events->event(
            refOf(t), ctrl::EventType::kNormal, "Minted", "IssueToken",
            "Minted token " + a.tokenId + " (revision " + rev + ") into Secret " + t.secretName());
        break;
      case TriggerReason::kSecretMoved:
        d_.events->event(refOf(t), ctrl::EventType::kNormal, "SecretMoved", "IssueToken",
                         "Moved to Secret " + t.secretName() + ": minted token " + a.tokenId +
                             " (revision " + rev + "); the token in Secret " + t.status.secretName +
                             " is removed and treated as revoked");
        break;
      case TriggerReason::kSecretDeleted:
      case TriggerReason::kSecretTampered:
      case TriggerReason::kServiceUserReplaced:
        d_.events->event(refOf(t), ctrl::EventType::kWarning, "SecretRecreated", "IssueToken",
                         trigger.message + " (token " + a.tokenId + ", revision " + rev + ")");
        break;
      case TriggerReason::kSigningKeyRetired:
        d_.events->event(refOf(t), ctrl::EventType::kNormal, "SigningKeyRetired", "IssueToken",
                         "Re-minted as token " + a.tokenId + " (revision " + rev +
                             ") with the new signing key: the key that signed the previous "
                             "token was withdrawn");
        break;
      case TriggerReason::kSpecChanged:
      case TriggerReason::kManualRotation:
      case TriggerReason::kRenewalDue:
        d_.metrics->rotated();
        d_.events->event(
            refOf(t), ctrl::EventType::kNormal, "Rotated", "RotateToken",
            "Rotated to token " + a.tokenId + " (revision " + rev + "): " + trigger.message +
                (a.keptPrevious ? "; the previous token is kept in " +
                                      std::string(kPreviousTokenKey) + " for the grace period"
                                : ""));
        break;
    }
    if (g.lifetime.isOk() && !g.lifetime->duration) {
      d_.events->event(refOf(t), ctrl::EventType::kWarning, "NeverExpires", "IssueToken",
                       "Token " + a.tokenId +
                           " never expires; in production prefer an expiration of at most 1y "
                           "with rotation");
    }
  } else if (a.failedAttempts > t.status.failedAttempts) {
    d_.events->event(refOf(t), ctrl::EventType::kWarning, "MintFailed", "IssueToken",
                     "Attempt " + std::to_string(a.failedAttempts) +
                         " to issue a token failed: " + a.failureMessage);
  }
  if (sin.blocker == Blocker::kMintRateExceeded &&
      stalledCondition(t, Blocker::kMintRateExceeded) == nullptr) {
    d_.metrics->guardRefused();
  }
  // Blocker transitions are worth an event; repeats are not. A user that is
  // merely not reconciled yet is a passing state, not news.
  const Condition* ready = findCondition(t.status.conditions, "Ready");
  const std::string reason = blockerReason(sin.blocker);
  if (!reason.empty() && sin.blocker != Blocker::kServiceUserNotReady &&
      (ready == nullptr || ready->reason != reason)) {
    d_.events->event(refOf(t),
                     isStalled(sin.blocker) ? ctrl::EventType::kWarning : ctrl::EventType::kNormal,
                     reason, "IssueToken", sin.blockerMessage);
  }
  if (desired.phase == "Expired" && t.status.phase != "Expired") {
    d_.events->event(refOf(t), ctrl::EventType::kWarning, "Expired", "TrackExpiry",
                     "Token " + desired.tokenId + " expired at " + desired.expiresAt);
  }
}

ctrl::StatusOr<ctrl::Result> ServiceTokenReconciler::reconcile(const ctrl::Request& request,
                                                               std::stop_token /*stop*/) {
  const std::string key = request.key();
  auto token = d_.tokens->get(key);
  if (!token) {
    d_.metrics->forget(request.ns, request.name);
    written_.forget(key);
    std::lock_guard lock(mu_);
    writtenStatus_.erase(key);
    mintedNames_.erase(key);
    return ctrl::Result{};
  }
  if (token->meta.deletionTimestamp) return ctrl::Result{};
  const ServiceToken t = freshest(*token);
  const WallTime now = d_.clock->wallNow();

  // The decision and the mint for one display name happen under one lock.
  std::lock_guard nameLock(nameLocks_.forKey(displayNameIndex(t).front()));

  Gathered g = gather(t, now);
  if (!g.secretError.isOk()) return g.secretError;
  Decision d = decide(t, g, now);
  Acted a = act(t, g, d, now);
  if (!a.error.isOk()) return a.error;
  const bool moved = !a.lost && finishMove(t, g, a).isOk();

  // What to report.
  StatusInput sin;
  sin.token = &t;
  sin.now = now;
  sin.blocker = g.blocker != Blocker::kNone ? g.blocker : d.blocker;
  sin.blockerMessage = g.blocker != Blocker::kNone ? g.blockerMessage : d.blockerMessage;
  if (a.foreign) {
    sin.blocker = Blocker::kSecretNotOwned;
    sin.blockerMessage = notOwnedMessage(t);
  }
  if (!a.minted && a.failedAttempts > t.status.failedAttempts &&
      isPermanentFailure(a.failureReason)) {
    sin.blocker = Blocker::kMintRejected;
    sin.blockerMessage = "The API server refused to store the token (" + a.failureReason +
                         "): " + a.failureMessage + "; retried when the spec changes, or in " +
                         std::to_string(kPermanentRetry.count()) + " minutes";
  }
  const bool moving = !t.status.secretName.empty() && t.status.secretName != t.secretName();
  sin.secretName = moving && !moved ? t.status.secretName : t.secretName();
  sin.subject = g.subject.id;
  if (g.lifetime.isOk()) sin.lifetimeLabel = g.lifetime->label;
  sin.issued = a.issued;
  if (a.issued && a.issued->issuedAt && a.issued->expiresAt && g.rotation.isOk()) {
    Lifetime own{std::chrono::duration_cast<seconds>(*a.issued->expiresAt - *a.issued->issuedAt),
                 ""};
    sin.renewalTime = renewalTime(*a.issued->issuedAt, own, *g.rotation, t.meta.uid);
  }
  if (!a.minted && d.trigger) sin.pendingTrigger = d.trigger;
  sin.failedAttempts = a.failedAttempts;
  sin.lastFailureTime = a.lastFailureTime;
  sin.failureReason = a.failureReason;
  sin.failureMessage = a.failureMessage;
  sin.automaticMints = a.automaticMints;

  ServiceTokenStatus desired = desiredStatus(sin);

  announce(t, g, d, a, sin, desired);

  // 4. Report.
  if (ctrl::Status s = report(t, desired); !s.isOk()) return s;
  d_.metrics->observe(
      t.meta.namespace_, t.meta.name, parseTime(desired.expiresAt), parseTime(desired.renewalTime),
      desired.phase == "Active" && findCondition(desired.conditions, "Ready")->status == "True");

  // 5. Schedule.
  if (a.lost || (moving && !moved)) {
    ctrl::Result again;
    again.requeue = true;
    return again;
  }
  WakeUpInput wake;
  wake.now = now;
  wake.retryAt = a.retryAt;
  if (sin.blocker == Blocker::kNone) wake.renewalTime = sin.renewalTime;
  if (sin.blocker == Blocker::kSecretNotOwned)
    wake.foreignSecretRecheck = now + notOwnedRecheck(t, now);
  if (a.issued) {
    wake.expiresAt = a.issued->expiresAt;
    if (a.issued->previous)
      wake.previousRetainedUntil = parseTime(a.issued->previous->retainedUntil);
  }
  auto after = nextWakeUp(wake);
  if (!after) return ctrl::Result{};
  ctrl::Result later;
  later.requeueAfter = *after;
  return later;
}

}  // namespace st
