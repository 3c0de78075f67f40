#include "servicetoken/issued_state.h"

#include <charconv>

namespace st {
namespace {

std::string get(const ctrl::StringMap& m, const char* key) { return std::string(m.get(key)); }

std::optional<ctrl::WallTime> time(const std::string& s) {
  if (s.empty() || s == "never") return std::nullopt;
  auto t = ctrl::parseRfc3339(s);
  if (!t.isOk()) return std::nullopt;
  return *t;
}

}  // namespace

IssuedState readIssuedState(const TokenSecret& secret) {
  const auto& a = secret.meta.annotations;
  IssuedState s;
  s.tokenId = get(a, kTokenIdAnnotation);
  s.tokenHash = get(a, kTokenHashAnnotation);
  s.specHash = get(a, kSpecHashAnnotation);
  s.rotateRequest = get(a, kRotateRequestAnnotation);
  const std::string rev = get(a, kRevisionAnnotation);
  std::from_chars(rev.data(), rev.data() + rev.size(), s.revision);
  s.issuedAt = time(get(a, kIssuedAtAnnotation));
  s.expiresAt = time(get(a, kExpiresAtAnnotation));
  s.valueMatches = !secret.tokenHash.empty() && secret.tokenHash == s.tokenHash;
  const std::string prevId = get(a, kPreviousTokenIdAnnotation);
  if (!prevId.empty() && !secret.previousTokenHash.empty()) {
    s.previous = PreviousToken{prevId, get(a, kPreviousTokenHashAnnotation),
                               get(a, kPreviousExpiresAtAnnotation),
                               get(a, kPreviousRetainedUntilAnnotation)};
  }
  return s;
}

bool ownedBy(const TokenSecret& secret, const ServiceToken& token) {
  const auto& l = secret.meta.labels;
  if (get(l, kManagedByLabel) != kManagedByValue) return false;
  if (get(l, kTokenLabel) != token.meta.name) return false;
  const ctrl::OwnerReference* ref = secret.meta.controllerRef();
  return ref == nullptr || ref->uid == token.meta.uid;
}

}  // namespace st
