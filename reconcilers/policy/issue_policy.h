// "Must we mint a new token, and why?" as a chain of pure functions over one
// gathered input (cert-manager's trigger policies). The gatherer does all
// reads; each policy returns a Trigger or nothing; the first that fires wins.
// Mint-once does not rest on these answers: the write that follows is a
// compare-and-swap, so a decision made on a stale cache fails harmlessly.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/types.h"
#include "controller/clock.h"

namespace st {

struct IssuingInput {
  const ServiceToken* token = nullptr;        // never null
  const TokenSecret* secret = nullptr;        // the Secret at the target name (owned), or null
  std::string specHash;                       // specHash(token->spec) of the current spec
  std::optional<ctrl::WallTime> renewalTime;  // of the token in the Secret, if any
  std::string serviceUserUid;                 // the ServiceUser's UID now ("" for Personal)
  bool forged = false;  // the Secret's token did not verify as ours (secret_view.h)
  ctrl::WallTime now{};
  // The Secret's token was signed by a key withdrawn with retire-old
  // (authority/key_rotation_policy.h).
  bool signingKeyRevoked = false;
};

// Why a token is minted. Compared as values, named once (triggerReasonName).
enum class TriggerReason {
  kInitial,              // no token was ever issued
  kSecretDeleted,        // the Secret vanished; its token is treated as revoked
  kSecretMoved,          // spec.secret.name changed; the old Secret is cleaned up
  kSecretTampered,       // the stored value no longer matches the recorded hash
  kServiceUserReplaced,  // the ServiceUser was deleted and created again
  kSpecChanged,          // a field the token carries changed
  kManualRotation,       // the rotate annotation has a new value
  kRenewalDue,           // the schedule
  // The key that signed the token was withdrawn (retire-old): the token no
  // longer verifies, so it is replaced at once and not kept as previous. An
  // operator asked for it: never counted by the mint-rate guard; paced by
  // the reconciler instead. Keep last (metrics iterate up to it).
  kSigningKeyRetired,
};

// PascalCase, as used in conditions, events and metrics.
const char* triggerReasonName(TriggerReason reason);
// Whether nobody asked for it (the mint-rate guard counts these).
bool isAutomatic(TriggerReason reason);
// Whether the replaced token stays valid for the grace period (a rotation)
// rather than being treated as revoked.
bool keepsPreviousToken(TriggerReason reason);

struct Trigger {
  TriggerReason reason = TriggerReason::kInitial;
  std::string message;  // a human sentence
  const char* name() const { return triggerReasonName(reason); }
};

using IssuePolicy = std::optional<Trigger> (*)(const IssuingInput&);

std::optional<Trigger> secretMissing(const IssuingInput& in);
std::optional<Trigger> secretTampered(const IssuingInput& in);
std::optional<Trigger> serviceUserReplaced(const IssuingInput& in);
std::optional<Trigger> specChanged(const IssuingInput& in);
std::optional<Trigger> manualRotation(const IssuingInput& in);
std::optional<Trigger> signingKeyRetired(const IssuingInput& in);
std::optional<Trigger> renewalDue(const IssuingInput& in);

// The chain in order of precedence.
const std::vector<IssuePolicy>& issuePolicies();

// Runs the chain; nullopt means the current token stands.
std::optional<Trigger> evaluateIssuePolicies(const IssuingInput& in);

// A short stable hash of the spec fields a token carries (display name, type,
// subject, lifetime, SCIM scope). Secret labels, annotations, deletion policy
// and rotation settings are not part of it: changing them mints nothing.
std::string specHash(const ServiceTokenSpec& spec);

}  // namespace st
