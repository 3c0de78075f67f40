// Builds the token Secret (PRODUCT.md §5) and the patches that keep its
// metadata in line with spec.secret. Pure: structs and JSON in, JSON or
// text out.
//
// Shape: type servicetoken.dev/token (fixed in code); data token, expires-at
// (RFC 3339 or "never"), service-user, and token.previous during a grace
// period; labels app.kubernetes.io/managed-by and servicetoken.dev/servicetoken
// plus spec.secret.labels; annotations with the token's id, hash, expiry and
// revision plus spec.secret.annotations (never GitOps tooling's own keys); a
// controller owner reference unless deletionPolicy is Retain.
#pragma once

#include <optional>
#include <string>

#include "api/types.h"
#include "controller/json.h"
#include "controller/json_writer.h"
#include "controller/status.h"
#include "servicetoken/authority.h"
#include "token/secret_string.h"

namespace st {

struct PreviousValue {
  SecretString value;
  PreviousToken meta;
};

struct SecretContent {
  const ServiceToken* token = nullptr;
  const IssuedToken* minted = nullptr;
  std::string subject;         // data.service-user: the userId (Service) or owner (Personal)
  std::string serviceUserUid;  // the ServiceUser minted for ("" for Personal)
  int64_t revision = 0;
  std::string specHash;
  std::string rotateRequest;
  std::optional<PreviousValue> previous;
};

// The Secret to create (existing == nullptr) or the full object to PUT,
// based on the live `existing` object (its resourceVersion is kept, so the
// PUT is a compare-and-swap; foreign labels and annotations survive).
ctrl::Json buildTokenSecret(const SecretContent& content, const ctrl::Json* existing);

// The Secret to create: the document buildTokenSecret(content, nullptr)
// builds, written as text (no tree). Errors: InvalidArgument when a string
// is not valid UTF-8 (the spec's labels and annotations come from decoded
// JSON, so never in practice).
ctrl::StatusOr<ctrl::JsonText> newTokenSecret(const SecretContent& content);

// What decodeTokenSecret() reads from the Secret newTokenSecret() wrote,
// given the metadata the API answered (`answered`, decoded as the cache
// decodes it): the view of a just-created Secret, with nothing parsed again
// or decoded from base64.
TokenSecret writtenTokenSecret(const SecretContent& content, ctrl::ObjectMeta answered);

// A JSON merge patch (with the cached resourceVersion as precondition) that
// brings the Secret's labels, annotations and owner reference in line with
// spec.secret and drops token.previous when `dropPrevious`; nullopt when
// nothing needs to change.
std::optional<ctrl::Json> secretMaintenancePatch(const ServiceToken& token,
                                                 const TokenSecret& secret, bool dropPrevious);

// True for annotation keys owned by GitOps and packaging tools, which are
// never copied onto the Secret.
bool isToolingAnnotation(const std::string& key);

}  // namespace st
