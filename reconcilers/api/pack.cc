#include "api/pack.h"

namespace st {

// What the operator writes on (nearly) every object and Event, each packed
// as a one-byte reference. Any string not here is packed as its bytes: the
// list is about size, never about meaning. At most 127 entries.
const ctrl::PackDictionary& packWords() {
  static const ctrl::PackDictionary words{
      kManagedByLabel, kManagedByValue, kTokenLabel, kRotateAnnotation, kTokenIdAnnotation,
      kTokenHashAnnotation, kExpiresAtAnnotation, kIssuedAtAnnotation, kRevisionAnnotation,
      kSpecHashAnnotation, kRotateRequestAnnotation, kPreviousTokenIdAnnotation,
      kPreviousTokenHashAnnotation, kPreviousExpiresAtAnnotation, kPreviousRetainedUntilAnnotation,
      kDisplayNameAnnotation, kServiceUserUidAnnotation, kSecretType, kApiVersion, "ServiceToken",
      "ServiceUser", "v1",
      // conditions
      "Ready", "Stalled", "Issuing", "Reconciling", "True", "False", "Unknown", "Issued",
      "Progressing", "UpToDate", "Expired", "MintFailed", "Revoked", "UserIdAssigned",
      "The operator can make progress without help", "No token needs to be issued",
      "The token is being issued",
      // phases and spec values
      "Pending", "Active", "Failed", "Auto", "Disabled", "Delete", "Retain", "30d", "60d", "90d",
      "1y", "Never", "Member", "Admin", "Owner",
      // Events: reasons and actions
      "Minted", "Rotated", "SecretMoved", "SecretRecreated", "SigningKeyRetired", "NeverExpires",
      "IssueToken", "RotateToken", "TrackExpiry"};
  return words;
}

namespace {

using ctrl::PackReader;
using ctrl::PackWriter;

const ctrl::PackDictionary& dictionary() { return packWords(); }

void packCondition(PackWriter& w, const Condition& c) {
  w.str(c.type);
  w.str(c.status);
  w.str(c.reason);
  w.str(c.message);
  w.i64(c.observedGeneration);
  w.str(c.lastTransitionTime);
}

bool unpackCondition(PackReader& r, Condition& c) {
  return r.str(c.type) && r.str(c.status) && r.str(c.reason) && r.str(c.message) &&
         r.i64(c.observedGeneration) && r.str(c.lastTransitionTime);
}

void packStdMap(PackWriter& w, const std::map<std::string, std::string>& m) {
  w.u64(m.size());
  for (const auto& [key, value] : m) {
    w.str(key);
    w.str(value);
  }
}

bool unpackStdMap(PackReader& r, std::map<std::string, std::string>& m) {
  uint64_t n = 0;
  if (!r.u64(n)) return false;
  m.clear();
  for (uint64_t i = 0; i < n; ++i) {
    std::string key;
    std::string value;
    if (!r.str(key) || !r.str(value)) return false;
    m.emplace(std::move(key), std::move(value));
  }
  return m.size() == n;
}

// A list of strings: each packed on its own.
void packStrings(PackWriter& w, const std::vector<std::string>& v) {
  w.list(v, [](PackWriter& pw, const std::string& s) { pw.str(s); });
}
bool unpackStrings(PackReader& r, std::vector<std::string>& v) {
  return r.list(v, [](PackReader& pr, std::string& s) { return pr.str(s); });
}

// ------------------------------------------------------------- ServiceToken

void packToken(const ServiceToken& t, std::string& out) {
  PackWriter w(out, dictionary());
  w.meta(t.meta);
  const ServiceTokenSpec& sp = t.spec;
  w.str(sp.displayName);
  w.u64(sp.type == TokenType::kPersonal ? 1 : 0);
  w.str(sp.serviceUserRef);
  w.str(sp.owner);
  w.str(sp.expiration);
  w.flag(sp.expiresInDays.has_value());
  if (sp.expiresInDays) w.i64(*sp.expiresInDays);
  w.flag(sp.scimAdministration);
  w.flag(sp.revoked);
  w.str(sp.secret.name);
  packStdMap(w, sp.secret.labels);
  packStdMap(w, sp.secret.annotations);
  w.str(sp.secret.deletionPolicy);
  w.str(sp.rotation.policy);
  w.str(sp.rotation.renewBefore);
  w.str(sp.rotation.gracePeriod);
  const ServiceTokenStatus& st = t.status;
  w.str(st.phase);
  w.i64(st.observedGeneration);
  w.str(st.serviceUserId);
  w.str(st.secretName);
  w.str(st.expiration);
  w.str(st.tokenId);
  w.str(st.tokenHash);
  w.str(st.issuedAt);
  w.str(st.expiresAt);
  w.str(st.renewalTime);
  w.i64(st.revision);
  w.str(st.rotateRequest);
  w.str(st.lastFailureTime);
  w.i64(st.failedAttempts);
  w.str(st.lastFailureReason);
  w.str(st.lastFailureMessage);
  packStrings(w, st.automaticMints);
  w.flag(st.previousToken.has_value());
  if (st.previousToken) {
    w.str(st.previousToken->tokenId);
    w.str(st.previousToken->tokenHash);
    w.str(st.previousToken->expiresAt);
    w.str(st.previousToken->retainedUntil);
  }
  w.list(st.conditions, packCondition);
  w.str(t.lastUsedTime);
}

bool unpackToken(std::string_view bytes, ServiceToken& t) {
  PackReader r(bytes, dictionary());
  if (!r.meta(t.meta)) return false;
  ServiceTokenSpec& sp = t.spec;
  uint64_t type = 0;
  bool hasDays = false;
  if (!r.str(sp.displayName) || !r.u64(type) || type > 1 || !r.str(sp.serviceUserRef) ||
      !r.str(sp.owner) || !r.str(sp.expiration) || !r.flag(hasDays)) {
    return false;
  }
  sp.type = type == 1 ? TokenType::kPersonal : TokenType::kService;
  if (hasDays) {
    int days = 0;
    if (!r.integer(days)) return false;
    sp.expiresInDays = days;
  }
  if (!r.flag(sp.scimAdministration) || !r.flag(sp.revoked) || !r.str(sp.secret.name) ||
      !unpackStdMap(r, sp.secret.labels) || !unpackStdMap(r, sp.secret.annotations) ||
      !r.str(sp.secret.deletionPolicy) || !r.str(sp.rotation.policy) ||
      !r.str(sp.rotation.renewBefore) || !r.str(sp.rotation.gracePeriod)) {
    return false;
  }
  ServiceTokenStatus& st = t.status;
  bool hasPrevious = false;
  if (!r.str(st.phase) || !r.i64(st.observedGeneration) || !r.str(st.serviceUserId) ||
      !r.str(st.secretName) || !r.str(st.expiration) || !r.str(st.tokenId) ||
      !r.str(st.tokenHash) || !r.str(st.issuedAt) || !r.str(st.expiresAt) ||
      !r.str(st.renewalTime) || !r.i64(st.revision) || !r.str(st.rotateRequest) ||
      !r.str(st.lastFailureTime) || !r.integer(st.failedAttempts) || !r.str(st.lastFailureReason) ||
      !r.str(st.lastFailureMessage) || !unpackStrings(r, st.automaticMints) ||
      !r.flag(hasPrevious)) {
    return false;
  }
  if (hasPrevious) {
    PreviousToken& p = st.previousToken.emplace();
    if (!r.str(p.tokenId) || !r.str(p.tokenHash) || !r.str(p.expiresAt) ||
        !r.str(p.retainedUntil)) {
      return false;
    }
  }
  return r.list(st.conditions, unpackCondition) && r.str(t.lastUsedTime) && r.done();
}

// -------------------------------------------------------------- ServiceUser

void packUser(const ServiceUser& u, std::string& out) {
  PackWriter w(out, dictionary());
  w.meta(u.meta);
  w.str(u.spec.displayName);
  w.str(u.spec.email);
  w.str(u.spec.role);
  packStrings(w, u.spec.teams);
  w.str(u.status.userId);
  w.i64(u.status.observedGeneration);
  w.list(u.status.conditions, packCondition);
}

bool unpackUser(std::string_view bytes, ServiceUser& u) {
  PackReader r(bytes, dictionary());
  return r.meta(u.meta) && r.str(u.spec.displayName) && r.str(u.spec.email) && r.str(u.spec.role) &&
         unpackStrings(r, u.spec.teams) && r.str(u.status.userId) &&
         r.i64(u.status.observedGeneration) && r.list(u.status.conditions, unpackCondition) &&
         r.done();
}

// --------------------------------------------------------------- the Secret

void packSecret(const TokenSecret& s, std::string& out) {
  PackWriter w(out, dictionary());
  w.meta(s.meta);
  w.str(s.type);
  w.str(s.tokenHash);
  w.str(s.previousTokenHash);
  w.str(s.kid);
  w.str(s.previousKid);
  w.flag(s.hasExpiresAt);
}

bool unpackSecret(std::string_view bytes, TokenSecret& s) {
  PackReader r(bytes, dictionary());
  return r.meta(s.meta) && r.str(s.type) && r.str(s.tokenHash) && r.str(s.previousTokenHash) &&
         r.str(s.kid) && r.str(s.previousKid) && r.flag(s.hasExpiresAt) && r.done();
}

// A field added to a struct must be packed too: these sizes change with it
// (x86-64, libstdc++), and the round-trip tests fill every field.
static_assert(sizeof(void*) != 8 || sizeof(ServiceToken) == 1312,
              "ServiceToken changed: update packToken/unpackToken and this size");
static_assert(sizeof(void*) != 8 || sizeof(ServiceUser) == 432,
              "ServiceUser changed: update packUser/unpackUser and this size");
static_assert(sizeof(void*) != 8 || sizeof(TokenSecret) == 416,
              "TokenSecret changed: update packSecret/unpackSecret and this size");

}  // namespace

const ctrl::Packing<ServiceToken>& serviceTokenPacking() {
  static const ctrl::Packing<ServiceToken> packing{packToken, unpackToken};
  return packing;
}

const ctrl::Packing<ServiceUser>& serviceUserPacking() {
  static const ctrl::Packing<ServiceUser> packing{packUser, unpackUser};
  return packing;
}

const ctrl::Packing<TokenSecret>& tokenSecretPacking() {
  static const ctrl::Packing<TokenSecret> packing{packSecret, unpackSecret};
  return packing;
}

}  // namespace st
