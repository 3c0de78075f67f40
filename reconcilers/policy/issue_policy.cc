#include "policy/issue_policy.h"

#include "token/encoding.h"
#include "token/token_hash.h"

namespace st {
namespace {

std::string annotation(const TokenSecret& s, const char* key) {
  return std::string(s.meta.annotations.get(key));
}

}  // namespace

const char* triggerReasonName(TriggerReason reason) {
  switch (reason) {
    case TriggerReason::kInitial:
      return "Initial";
    case TriggerReason::kSecretDeleted:
      return "SecretDeleted";
    case TriggerReason::kSecretMoved:
      return "SecretMoved";
    case TriggerReason::kSecretTampered:
      return "SecretTampered";
    case TriggerReason::kServiceUserReplaced:
      return "ServiceUserReplaced";
    case TriggerReason::kSpecChanged:
      return "SpecChanged";
    case TriggerReason::kManualRotation:
      return "ManualRotation";
    case TriggerReason::kRenewalDue:
      return "RenewalDue";
    case TriggerReason::kSigningKeyRetired:
      return "SigningKeyRetired";
  }
  return "Unknown";
}

bool isAutomatic(TriggerReason reason) {
  return reason == TriggerReason::kSecretDeleted || reason == TriggerReason::kSecretTampered ||
         reason == TriggerReason::kServiceUserReplaced || reason == TriggerReason::kRenewalDue;
}

bool keepsPreviousToken(TriggerReason reason) {
  return reason == TriggerReason::kRenewalDue || reason == TriggerReason::kManualRotation ||
         reason == TriggerReason::kSpecChanged;
}

std::optional<Trigger> secretMissing(const IssuingInput& in) {
  if (in.secret != nullptr) return std::nullopt;
  const ServiceTokenStatus& status = in.token->status;
  if (status.revision > 0 && !status.secretName.empty() &&
      status.secretName != in.token->secretName()) {
    return Trigger{TriggerReason::kSecretMoved,
                   "spec.secret.name changed from " + status.secretName + " to " +
                       in.token->secretName() +
                       "; a token is minted into the new Secret and removed from the old one"};
  }
  if (status.revision > 0) {
    return Trigger{TriggerReason::kSecretDeleted,
                   "The Secret was deleted; its token cannot be recovered, so a new one is "
                   "minted and the old one is treated as revoked"};
  }
  return Trigger{TriggerReason::kInitial, "No token has been issued yet"};
}

std::optional<Trigger> secretTampered(const IssuingInput& in) {
  const TokenSecret& s = *in.secret;
  const std::string recorded = annotation(s, kTokenHashAnnotation);
  if (!in.forged && !s.tokenHash.empty() && s.tokenHash == recorded) return std::nullopt;
  return Trigger{TriggerReason::kSecretTampered,
                 "The token in the Secret no longer matches the recorded hash; a new token "
                 "is minted and the replaced one is treated as revoked"};
}

std::optional<Trigger> serviceUserReplaced(const IssuingInput& in) {
  const std::string minted = annotation(*in.secret, kServiceUserUidAnnotation);
  // Secrets written before the annotation existed name no UID: nothing to compare.
  if (minted.empty() || in.serviceUserUid.empty() || minted == in.serviceUserUid) {
    return std::nullopt;
  }
  return Trigger{TriggerReason::kServiceUserReplaced,
                 "The ServiceUser was deleted and created again; the token minted for the "
                 "deleted user stays revoked and a new one is minted"};
}

std::optional<Trigger> specChanged(const IssuingInput& in) {
  if (annotation(*in.secret, kSpecHashAnnotation) == in.specHash) return std::nullopt;
  return Trigger{TriggerReason::kSpecChanged,
                 "The spec fields the token carries changed; a replacement is minted"};
}

std::optional<Trigger> manualRotation(const IssuingInput& in) {
  const auto& ann = in.token->meta.annotations;
  auto it = ann.find(kRotateAnnotation);
  if (it == ann.end() || it->second.empty()) return std::nullopt;
  if (annotation(*in.secret, kRotateRequestAnnotation) == it->second) return std::nullopt;
  return Trigger{
      TriggerReason::kManualRotation,
      "Rotation was requested with the " + std::string(kRotateAnnotation) + " annotation"};
}

std::optional<Trigger> signingKeyRetired(const IssuingInput& in) {
  if (!in.signingKeyRevoked) return std::nullopt;
  return Trigger{TriggerReason::kSigningKeyRetired,
                 "The signing key of the token was withdrawn (rotate-signing-key --retire-old); "
                 "a token signed by the new key replaces it"};
}

std::optional<Trigger> renewalDue(const IssuingInput& in) {
  if (!in.renewalTime || in.now < *in.renewalTime) return std::nullopt;
  return Trigger{TriggerReason::kRenewalDue, "The token reached its renewal time"};
}

const std::vector<IssuePolicy>& issuePolicies() {
  static const std::vector<IssuePolicy> chain{secretTampered, serviceUserReplaced, specChanged,
                                              manualRotation, signingKeyRetired,   renewalDue};
  return chain;
}

std::optional<Trigger> evaluateIssuePolicies(const IssuingInput& in) {
  // Every other policy reads the Secret, so its absence is decided first.
  if (auto t = secretMissing(in)) return t;
  for (IssuePolicy p : issuePolicies()) {
    if (auto t = p(in)) return t;
  }
  return std::nullopt;
}

std::string specHash(const ServiceTokenSpec& spec) {
  std::string canonical;
  auto field = [&](std::string_view v) {
    canonical += std::to_string(v.size());
    canonical += ':';
    canonical += v;
    canonical += ';';
  };
  field(spec.displayName);
  field(spec.type == TokenType::kPersonal ? "Personal" : "Service");
  field(spec.serviceUserRef);
  field(spec.owner);
  field(spec.expiration);
  field(spec.expiresInDays ? std::to_string(*spec.expiresInDays) : "");
  field(spec.scimAdministration ? "scim" : "api");
  return hexEncode(sha256(canonical)).substr(0, 16);
}

}  // namespace st
