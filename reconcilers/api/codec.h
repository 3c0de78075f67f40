// Explicit JSON codecs for the API types in types.h. Decoders never throw:
// a malformed object yields InvalidArgument naming the field (never its
// value), so one bad object becomes a logged skip or a condition, not a crash.
#pragma once

#include "api/types.h"
#include "controller/json.h"
#include "controller/json_writer.h"
#include "controller/status.h"

namespace st {

ctrl::StatusOr<ServiceUser> decodeServiceUser(const ctrl::Json& object);
ctrl::StatusOr<ServiceToken> decodeServiceToken(const ctrl::Json& object);
// Hashes data.token and data["token.previous"] and drops the values.
ctrl::StatusOr<TokenSecret> decodeTokenSecret(const ctrl::Json& object);

// An object's `metadata` as the decoders above keep it (decodeObjectMeta(),
// less kubectl's last-applied-configuration annotation). Errors as
// decodeObjectMeta().
ctrl::StatusOr<ctrl::ObjectMeta> decodeMetadata(const ctrl::Json& metadata);

// The merge patch of the status subresource that writes the whole status,
// {"status": {...}}, as text (no tree is built): fields that are empty are
// written as null so the patch removes them. Errors: InvalidArgument when a
// string is not valid UTF-8 (never the case for what a decoder produced).
ctrl::StatusOr<ctrl::JsonText> statusPatch(const ServiceTokenStatus& status);
ctrl::StatusOr<ctrl::JsonText> statusPatch(const ServiceUserStatus& status);

const char* typeName(TokenType type);  // "Service" / "Personal"

}  // namespace st
