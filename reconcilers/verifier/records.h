// What the verifier caches of each watched object: only the fields a
// decision reads, so 10,000 watched ServiceTokens cost a few MiB (no
// conditions, annotations or managed fields). Decoded straight from the API
// JSON by the codecs below; the operator's richer types (api/types.h) are not
// used here.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "api/types.h"
#include "controller/clock.h"
#include "controller/json.h"
#include "controller/status.h"
#include "token/jwks.h"

namespace st::verifier {

// A ServiceToken as the verifier sees it.
struct TokenRecord {
  std::string ns;
  std::string name;
  std::string uid;
  std::string resourceVersion;  // the precondition of the verifier's status writes
  bool deleting = false;        // metadata.deletionTimestamp is set
  TokenType type = TokenType::kService;
  std::string serviceUserRef;  // spec.serviceUserRef.name
  std::string owner;           // spec.owner
  bool revoked = false;        // spec.revoked
  std::string phase;           // status.phase
  std::string serviceUserId;   // status.serviceUserId
  std::string tokenId;         // status.tokenId
  std::string tokenHash;       // status.tokenHash
  struct Previous {
    std::string tokenId;
    std::string tokenHash;
    // status.previousToken.retainedUntil; nullopt when absent or malformed,
    // which makes the previous token invalid (fail closed).
    std::optional<ctrl::WallTime> retainedUntil;
  };
  std::optional<Previous> previous;            // status.previousToken
  std::optional<ctrl::WallTime> lastUsedTime;  // status.lastUsedTime
};

// A ServiceUser as the verifier sees it.
struct UserRecord {
  std::string ns;
  std::string name;
  std::string uid;
  bool deleting = false;
  std::string email;  // spec.email
  std::string role;   // spec.role; "" means Member
  std::vector<std::string> teams;
  std::string userId;  // status.userId
};

// The JWKS ConfigMap, parsed once when it changes.
struct JwksRecord {
  std::shared_ptr<const Jwks> jwks;  // non-null
  std::string document;              // jwks->toString(): what the verifier serves
};

// Codecs for the informers. Never throw; errors are InvalidArgument naming
// the field, never its value.
ctrl::StatusOr<TokenRecord> decodeTokenRecord(const ctrl::Json& object);
ctrl::StatusOr<UserRecord> decodeUserRecord(const ctrl::Json& object);
// Reads data["jwks.json"] with Jwks::parse (size and key-count limits).
ctrl::StatusOr<JwksRecord> decodeJwksConfigMap(const ctrl::Json& object);

// The token ids a ServiceToken holds: status.tokenId and
// status.previousToken.tokenId (each when non-empty), for the index by
// token id (informer_view.h).
std::vector<std::string> tokenIdIndex(const TokenRecord& token);

}  // namespace st::verifier
