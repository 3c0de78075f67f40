// Explicit JSON codecs for the API types in types.h. Decoders never throw:
// a malformed object yields InvalidArgument naming the field (never its
// value), so one bad object becomes a logged skip or a condition, not a crash.
#pragma once

#include "api/types.h"
#include "controller/json.h"
#include "controller/status.h"

namespace st {

ctrl::StatusOr<ServiceUser> decodeServiceUser(const ctrl::Json& object);
ctrl::StatusOr<ServiceToken> decodeServiceToken(const ctrl::Json& object);
// Hashes data.token and data["token.previous"] and drops the values.
ctrl::StatusOr<TokenSecret> decodeTokenSecret(const ctrl::Json& object);

// The whole status object, for a merge patch of the status subresource:
// fields that are empty are written as null so the patch removes them.
ctrl::Json encodeStatus(const ServiceTokenStatus& status);
ctrl::Json encodeStatus(const ServiceUserStatus& status);
ctrl::Json encodeConditions(const std::vector<Condition>& conditions);

const char* typeName(TokenType type);  // "Service" / "Personal"

}  // namespace st
