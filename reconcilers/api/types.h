// The servicetoken.dev/v1alpha1 API as plain structs: ServiceUser,
// ServiceToken and the operator's view of a token Secret. Only the fields the
// reconcilers read are kept (the cache stays compact); codecs live in
// codec.h. Spec semantics: ../shared/design/PRODUCT.md §2.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "controller/clock.h"
#include "controller/object_meta.h"
#include "controller/resource.h"

namespace st {

inline constexpr const char* kGroup = "servicetoken.dev";
inline constexpr const char* kVersion = "v1alpha1";
inline constexpr const char* kApiVersion = "servicetoken.dev/v1alpha1";

// Labels and annotations the operator owns.
inline constexpr const char* kManagedByLabel = "app.kubernetes.io/managed-by";
inline constexpr const char* kManagedByValue = "servicetoken-operator";
inline constexpr const char* kTokenLabel = "servicetoken.dev/servicetoken";
// The label selector of the token Secrets the operator watches: managed by
// it and carrying the token label.
inline std::string tokenSecretSelector() {
  return std::string(kManagedByLabel) + "=" + kManagedByValue + "," + kTokenLabel;
}
inline constexpr const char* kRotateAnnotation = "servicetoken.dev/rotate";
inline constexpr const char* kTokenIdAnnotation = "servicetoken.dev/token-id";
inline constexpr const char* kTokenHashAnnotation = "servicetoken.dev/token-hash";
inline constexpr const char* kExpiresAtAnnotation = "servicetoken.dev/expires-at";
inline constexpr const char* kIssuedAtAnnotation = "servicetoken.dev/issued-at";
inline constexpr const char* kRevisionAnnotation = "servicetoken.dev/revision";
inline constexpr const char* kSpecHashAnnotation = "servicetoken.dev/spec-hash";
inline constexpr const char* kRotateRequestAnnotation = "servicetoken.dev/rotate-request";
inline constexpr const char* kPreviousTokenIdAnnotation = "servicetoken.dev/previous-token-id";
inline constexpr const char* kPreviousTokenHashAnnotation = "servicetoken.dev/previous-token-hash";
inline constexpr const char* kPreviousExpiresAtAnnotation = "servicetoken.dev/previous-expires-at";
inline constexpr const char* kPreviousRetainedUntilAnnotation =
    "servicetoken.dev/previous-retained-until";
// The display name and the ServiceUser (by UID) a Secret's token was minted
// for: who holds a display name, and whether the user was replaced since.
inline constexpr const char* kDisplayNameAnnotation = "servicetoken.dev/display-name";
inline constexpr const char* kServiceUserUidAnnotation = "servicetoken.dev/service-user-uid";
// Set by `kubectl servicetoken rotate-signing-key` on the operator's
// signing-key Secret: a new value asks for one signing-key rotation;
// retire-old "true" makes it a compromise rotation, which withdraws every
// old key at once (authority/key_rotation_policy.h).
inline constexpr const char* kRotateSigningKeyAnnotation = "servicetoken.dev/rotate-signing-key";
inline constexpr const char* kRetireOldAnnotation = "servicetoken.dev/retire-old";

// The Secret type, fixed in code (never taken from user input).
inline constexpr const char* kSecretType = "servicetoken.dev/token";
// Secret data keys.
inline constexpr const char* kTokenKey = "token";
inline constexpr const char* kPreviousTokenKey = "token.previous";
inline constexpr const char* kExpiresAtKey = "expires-at";
inline constexpr const char* kServiceUserKey = "service-user";

const ctrl::Resource& serviceTokenResource();
const ctrl::Resource& serviceUserResource();

// metav1.Condition.
struct Condition {
  std::string type;
  std::string status;  // "True", "False", "Unknown"
  std::string reason;
  std::string message;
  int64_t observedGeneration = 0;
  std::string lastTransitionTime;  // RFC 3339

  bool operator==(const Condition&) const = default;
};

// ---------------------------------------------------------------- ServiceUser

struct ServiceUserSpec {
  std::string displayName;
  std::string email;  // "" when unset
  std::string role;   // "" when unset (Member)
  std::vector<std::string> teams;
  bool operator==(const ServiceUserSpec&) const = default;
};

struct ServiceUserStatus {
  std::string userId;
  int64_t observedGeneration = 0;
  std::vector<Condition> conditions;
  bool operator==(const ServiceUserStatus&) const = default;
};

struct ServiceUser {
  ctrl::ObjectMeta meta;
  ServiceUserSpec spec;
  ServiceUserStatus status;
  bool operator==(const ServiceUser&) const = default;
};

// --------------------------------------------------------------- ServiceToken

enum class TokenType { kService, kPersonal };

struct SecretTemplate {
  std::string name;  // "" = the ServiceToken's name
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string deletionPolicy;  // "", "Delete", "Retain"
  bool operator==(const SecretTemplate&) const = default;
};

struct RotationSpec {
  std::string policy;       // "", "Auto", "Disabled"
  std::string renewBefore;  // "" or a duration such as "30d", "720h"
  std::string gracePeriod;  // "" or a duration; default 7d
  bool operator==(const RotationSpec&) const = default;
};

struct ServiceTokenSpec {
  std::string displayName;
  TokenType type = TokenType::kService;
  std::string serviceUserRef;  // name; "" when unset
  std::string owner;           // "" when unset
  std::string expiration;      // "30d" | "60d" | "90d" | "1y" | "Never" | ""
  std::optional<int> expiresInDays;
  bool scimAdministration = false;
  bool revoked = false;  // one-way (CEL): the token is withdrawn for good
  SecretTemplate secret;
  RotationSpec rotation;
  bool operator==(const ServiceTokenSpec&) const = default;
};

struct PreviousToken {
  std::string tokenId;
  std::string tokenHash;
  std::string expiresAt;  // RFC 3339 or ""
  std::string retainedUntil;
  bool operator==(const PreviousToken&) const = default;
};

struct ServiceTokenStatus {
  std::string phase;  // Pending, Active, Expired, Revoked, Failed
  int64_t observedGeneration = 0;
  std::string serviceUserId;
  std::string secretName;
  std::string expiration;  // the lifetime in effect, e.g. "30d", "45d", "Never"
  std::string tokenId;
  std::string tokenHash;
  std::string issuedAt;
  std::string expiresAt;
  std::string renewalTime;
  int64_t revision = 0;
  std::string rotateRequest;
  std::string lastFailureTime;
  int32_t failedAttempts = 0;
  std::string lastFailureReason;   // PascalCase, e.g. Invalid, Forbidden, MintFailed
  std::string lastFailureMessage;  // the server's or the signer's message, never a token
  // RFC 3339 times of the recent mints nobody asked for (renewals, Secrets
  // deleted or tampered with): the mint-rate guard's memory (mint_guard.h).
  std::vector<std::string> automaticMints;
  std::optional<PreviousToken> previousToken;
  std::vector<Condition> conditions;
  bool operator==(const ServiceTokenStatus&) const = default;
};

struct ServiceToken {
  ctrl::ObjectMeta meta;
  ServiceTokenSpec spec;
  ServiceTokenStatus status;
  // status.lastUsedTime: written by servicetoken-verifier, never by the
  // operator, so it is kept outside ServiceTokenStatus (which the operator
  // compares and writes as a whole). "" when the token was never used.
  std::string lastUsedTime;

  // spec.secret.name, or the ServiceToken's own name.
  std::string secretName() const { return spec.secret.name.empty() ? meta.name : spec.secret.name; }
  bool operator==(const ServiceToken&) const = default;
};

// ----------------------------------------------------------------- the Secret

// The operator's view of a Secret carrying its label. The token values are
// NOT kept: only their SHA-256 hashes, computed when the Secret is decoded, so
// the cache never holds a token.
struct TokenSecret {
  ctrl::ObjectMeta meta;
  std::string type;
  std::string tokenHash;          // "sha256:<hex>" of data.token, "" when absent
  std::string previousTokenHash;  // of data["token.previous"], "" when absent
  // The kid in each token's header (jwtKeyId): which signing key signed it.
  std::string kid;
  std::string previousKid;
  bool hasExpiresAt = false;
  bool operator==(const TokenSecret&) const = default;
};

}  // namespace st
