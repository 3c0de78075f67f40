// The issuing step: mint a token and store it in the Secret with
// compare-and-swap. Creating requires the name to be absent; replacing
// requires the live Secret to be the version the decision was made on, so a
// decision made on a stale cache mints nothing that is ever stored.
#pragma once

#include <memory>
#include <string>

#include "api/types.h"
#include "controller/client.h"
#include "policy/issue_policy.h"
#include "policy/lifetime.h"
#include "servicetoken/authority.h"
#include "servicetoken/issued_state.h"

namespace st {

struct IssueRequest {
  const ServiceToken* token = nullptr;
  const TokenSecret* cachedSecret = nullptr;  // owned Secret the decision saw, or null
  Trigger trigger;
  std::string subject;  // userId or owner
  std::string email;
  std::string serviceUserUid;  // "" for Personal
  Lifetime lifetime;
  RotationSettings rotation;
  std::string specHash;
  ctrl::WallTime now{};
};

struct IssueOutcome {
  enum class Kind {
    kWritten,   // stored: `secret` is the new state
    kLost,      // another writer or a stale cache: nothing stored; look again soon
    kNotOwned,  // the name belongs to a Secret that is not ours
    kFailed,    // minting or writing failed: `error`
  };
  Kind kind = Kind::kFailed;
  std::shared_ptr<const TokenSecret> secret;
  IssuedToken minted;  // its value is wiped on destruction; only ids are used after
  int64_t revision = 0;
  bool keptPrevious = false;
  ctrl::Status error;
};

class Issuer {
 public:
  Issuer(ctrl::Client& client, TokenAuthority& authority)
      : client_(client), authority_(authority) {}
  Issuer(const Issuer&) = delete;
  Issuer& operator=(const Issuer&) = delete;

  // Mints and stores one token. Never returns the token value to the caller
  // except inside outcome.minted (for nothing but its ids).
  IssueOutcome issue(const IssueRequest& request);

 private:
  IssueOutcome create(const IssueRequest& r, int64_t revision);
  IssueOutcome replace(const IssueRequest& r, int64_t revision);
  ctrl::StatusOr<IssuedToken> mint(const IssueRequest& r);

  ctrl::Client& client_;
  TokenAuthority& authority_;
};

}  // namespace st
