#include "servicetoken/status_policy.h"

#include "controller/object_meta.h"
#include "servicetoken/conditions.h"

namespace st {
namespace {

std::string format(const std::optional<ctrl::WallTime>& t) {
  return t ? ctrl::formatRfc3339(*t) : std::string();
}

}  // namespace

const char* blockerReason(Blocker b) {
  switch (b) {
    case Blocker::kNone:
      return "";
    case Blocker::kInvalidSpec:
      return "InvalidSpec";
    case Blocker::kDuplicateName:
      return "DuplicateName";
    case Blocker::kSecretNotOwned:
      return "SecretNotOwned";
    case Blocker::kServiceUserNotFound:
      return "ServiceUserNotFound";
    case Blocker::kServiceUserNotReady:
      return "ServiceUserNotReady";
    case Blocker::kMintRateExceeded:
      return "MintRateExceeded";
    case Blocker::kMintRejected:
      return "MintRejected";
    case Blocker::kRevoked:
      return "Revoked";
  }
  return "";
}

bool isStalled(Blocker b) {
  return b == Blocker::kInvalidSpec || b == Blocker::kDuplicateName ||
         b == Blocker::kSecretNotOwned || b == Blocker::kMintRateExceeded ||
         b == Blocker::kMintRejected;
}

ServiceTokenStatus desiredStatus(const StatusInput& in) {
  const ServiceToken& token = *in.token;
  const int64_t gen = token.meta.generation;
  ServiceTokenStatus s = token.status;  // keeps condition transition times
  s.observedGeneration = gen;
  s.secretName = in.secretName;
  s.serviceUserId = in.subject;
  s.expiration = in.lifetimeLabel;
  s.failedAttempts = in.failedAttempts;
  s.lastFailureTime = in.failedAttempts > 0 ? in.lastFailureTime : "";
  s.lastFailureReason = in.failedAttempts > 0 ? in.failureReason : "";
  s.lastFailureMessage = in.failedAttempts > 0 ? in.failureMessage : "";
  s.automaticMints = in.automaticMints;

  // Token fields mirror the Secret: the record of truth.
  if (in.issued && !in.issued->tokenId.empty()) {
    const IssuedState& t = *in.issued;
    s.tokenId = t.tokenId;
    s.tokenHash = t.tokenHash;
    s.issuedAt = format(t.issuedAt);
    s.expiresAt = format(t.expiresAt);
    s.revision = std::max(s.revision, t.revision);
    s.rotateRequest = t.rotateRequest;
    s.previousToken = t.previous;
    s.renewalTime = format(in.renewalTime);
  } else if (in.blocker == Blocker::kSecretNotOwned || !in.issued) {
    // No token of ours is delivered: nothing to report about one.
    s.tokenId.clear();
    s.tokenHash.clear();
    s.issuedAt.clear();
    s.expiresAt.clear();
    s.renewalTime.clear();
    s.previousToken.reset();
  }

  const bool hasToken = in.issued && !in.issued->tokenId.empty() && in.issued->valueMatches;
  const bool expired = hasToken && in.issued->expiresAt && in.now >= *in.issued->expiresAt;

  std::string readyStatus = "False", readyReason, readyMessage;
  if (in.blocker == Blocker::kRevoked) {
    // Final: no schedule, no previous token (the Secret no longer holds
    // either value); the ids and hashes stay as the record of what was revoked.
    s.phase = "Revoked";
    s.renewalTime.clear();
    s.previousToken.reset();
    readyReason = blockerReason(in.blocker);
    readyMessage = in.blockerMessage;
  } else if (isStalled(in.blocker)) {
    s.phase = "Failed";
    readyReason = blockerReason(in.blocker);
    readyMessage = in.blockerMessage;
  } else if (expired) {
    s.phase = "Expired";
    readyReason = "Expired";
    readyMessage = "The token expired at " + format(in.issued->expiresAt) +
                   (in.failedAttempts > 0 ? "; minting a replacement failed: " + in.failureMessage
                                          : "; rotation is disabled, so no replacement was minted");
  } else if (hasToken && in.blocker == Blocker::kNone) {
    s.phase = "Active";
    readyStatus = "True";
    readyReason = "Issued";
    readyMessage = "Token " + in.issued->tokenId + " is valid" +
                   (in.issued->expiresAt ? " until " + format(in.issued->expiresAt) : "") +
                   " and stored in Secret " + in.secretName;
  } else if (hasToken && in.blocker == Blocker::kServiceUserNotFound) {
    // PRODUCT.md §2: deleting a ServiceUser revokes its tokens.
    s.phase = "Revoked";
    readyReason = blockerReason(in.blocker);
    readyMessage = in.blockerMessage;
  } else if (hasToken) {
    s.phase = "Active";
    readyReason = blockerReason(in.blocker);
    readyMessage = in.blockerMessage;
  } else if (in.blocker != Blocker::kNone) {
    s.phase = "Pending";
    readyReason = blockerReason(in.blocker);
    readyMessage = in.blockerMessage;
  } else if (in.failedAttempts > 0) {
    s.phase = "Pending";
    readyReason = "MintFailed";
    readyMessage = in.failureMessage;
  } else {
    s.phase = "Pending";
    readyReason = "Issuing";
    readyMessage = "The token is being issued";
  }
  setCondition(s.conditions, "Ready", readyStatus, readyReason, readyMessage, gen, in.now);

  if (in.pendingTrigger && !isStalled(in.blocker)) {
    std::string message = in.pendingTrigger->message;
    if (in.failedAttempts > 0) {
      message += "; attempt " + std::to_string(in.failedAttempts) + " failed: " + in.failureMessage;
    }
    setCondition(s.conditions, "Issuing", "True", in.pendingTrigger->name(), message, gen, in.now);
  } else {
    setCondition(s.conditions, "Issuing", "False", "UpToDate", "No token needs to be issued", gen,
                 in.now);
  }
  if (isStalled(in.blocker)) {
    setCondition(s.conditions, "Stalled", "True", blockerReason(in.blocker), in.blockerMessage, gen,
                 in.now);
  } else {
    setCondition(s.conditions, "Stalled", "False", "Progressing",
                 "The operator can make progress without help", gen, in.now);
  }
  return s;
}

}  // namespace st
