// What an owned token Secret says about the token it holds. The Secret, not
// the ServiceToken's status, is the record of truth: after a crash between
// the Secret write and the status write, status is rebuilt from these
// annotations, so nothing is minted again.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "api/types.h"
#include "controller/clock.h"

namespace st {

struct IssuedState {
  std::string tokenId;
  std::string tokenHash;  // as recorded at mint time
  std::string specHash;
  std::string rotateRequest;  // the rotate annotation value honoured by this mint
  int64_t revision = 0;
  std::optional<ctrl::WallTime> issuedAt;
  std::optional<ctrl::WallTime> expiresAt;  // nullopt: Never
  std::optional<PreviousToken> previous;    // while token.previous is kept
  bool valueMatches = false;                // data.token hashes to tokenHash
};

IssuedState readIssuedState(const TokenSecret& secret);

// Whether `secret` belongs to `token`: it carries the operator's labels for
// this ServiceToken and no controller reference to another object. A Secret
// that fails this is never written.
bool ownedBy(const TokenSecret& secret, const ServiceToken& token);

}  // namespace st
