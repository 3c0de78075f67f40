// Who a ServiceToken's token acts as: the ServiceUser's pinned userId (Service)
// or the owner (Personal), and whether that identity can be used now.
#pragma once

#include <string>

#include "api/types.h"
#include "controller/store.h"
#include "servicetoken/status_policy.h"

namespace st {

struct Subject {
  std::string id;                    // the token's sub: userId or owner; "" when unknown
  std::string email;                 // "" when unknown
  std::string userUid;               // the ServiceUser's UID ("" for Personal)
  Blocker blocker = Blocker::kNone;  // kServiceUserNotFound / kServiceUserNotReady
  std::string message;               // why it is blocked, a human sentence
};

// Reads the ServiceUser from the cache. A user that exists but is not Ready
// (not reconciled yet, or losing a userId clash) blocks minting; so does a
// missing one (for a token that held a token, that means it was deleted and
// the token is revoked: status_policy.h).
Subject resolveSubject(const ServiceToken& token, const ctrl::Store<ServiceUser>& users);

}  // namespace st
