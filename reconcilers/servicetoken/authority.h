// The seam between the reconcilers and whoever signs tokens: the built-in
// authority (token/), later a remote issuer. A minted token exists only in
// the returned SecretString until it is written into its Secret.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "api/types.h"
#include "controller/clock.h"
#include "controller/status.h"
#include "token/secret_string.h"

namespace st {

struct MintRequest {
  TokenType type = TokenType::kService;
  std::string subject;  // userId for Service, the owner for Personal
  std::string name;     // the displayName
  std::string email;    // "" when unknown
  bool scim = false;
  std::optional<std::chrono::seconds> lifetime;  // nullopt: Never
  ctrl::WallTime now{};
};

struct IssuedToken {
  SecretString value;
  std::string tokenId;    // jti
  std::string tokenHash;  // sha256:<hex> of value
  ctrl::WallTime issuedAt{};
  std::optional<ctrl::WallTime> expiresAt;
};

// What a verified token says about itself (never its value).
struct TokenIdentity {
  std::string tokenId;  // jti
  std::string subject;  // sub
};

class TokenAuthority {
 public:
  virtual ~TokenAuthority() = default;
  // Whether `token` was signed by one of this authority's keys (and carries
  // its issuer and audience); expiry is not checked: an expired token of ours
  // is still ours. Errors: Unauthorized or InvalidArgument for a token this
  // authority did not mint. Messages never contain the token. Thread-safe.
  virtual ctrl::StatusOr<TokenIdentity> verify(const SecretString& token) = 0;
  // Signs a new token. Errors: Unavailable when no signing key is loaded,
  // Internal on a crypto failure. Messages never contain key material.
  // Thread-safe.
  virtual ctrl::StatusOr<IssuedToken> mint(const MintRequest& request) = 0;
  // Whether `kid` names a signing key this authority withdrew (signing-key
  // rotation with retire-old): a token it signed no longer verifies and is
  // re-minted. False for "" and for kids it never heard of (a key newer than
  // this process's view is not a withdrawn one). Thread-safe.
  virtual bool keyRevoked(std::string_view /*kid*/) { return false; }
};

}  // namespace st
