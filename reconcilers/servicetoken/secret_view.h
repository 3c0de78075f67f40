// The Secret step of a reconcile: which Secret at the target name the
// decision is made on, and whether its token is ours to keep.
//
// Three sources, in order of trust:
//  1. what this process itself last wrote (WrittenSecrets) — bridges the
//     moment between a write and the informer seeing it; but when the cache
//     has no Secret at all, one live GET confirms it still exists, so a delete
//     the informer has seen is never outvoted by the memory of a write;
//  2. the informer cache;
//  3. a live GET, for a Secret the cache cannot show (foreign ones are not
//     watched) and to read a token value before adopting it.
//
// Adoption: a Secret whose recorded token id and hash are not the ones in
// status (a crash between the Secret and the status write, or a Secret
// someone created with our labels) is adopted only when its token verifies
// with our own signing keys and its jti, sub and hash match the Secret's
// annotations and the token's subject. Otherwise it is forged: when it names
// this ServiceToken as its controller it is ours and is replaced as tampered;
// when it does not, it is foreign and never written.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/types.h"
#include "controller/client.h"
#include "controller/store.h"
#include "servicetoken/authority.h"

namespace st {

// What this process last wrote per ServiceToken key. Thread-safe.
class WrittenSecrets {
 public:
  void remember(const std::string& tokenKey, std::shared_ptr<const TokenSecret> secret);
  std::shared_ptr<const TokenSecret> find(const std::string& tokenKey) const;
  void forget(const std::string& tokenKey);

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TokenSecret>> secrets_;
};

struct SecretObservation {
  std::shared_ptr<const TokenSecret> secret;  // ours, at the target name; null when none
  bool foreign = false;  // a Secret that is not ours holds the name: never write it
  bool forged = false;   // ours by controller reference, but its token is not ours
};

struct SecretViewDeps {
  const ctrl::Store<TokenSecret>* cache = nullptr;
  ctrl::Reader* reader = nullptr;
  TokenAuthority* authority = nullptr;
  WrittenSecrets* written = nullptr;
};

// Observes the Secret at token.secretName(). `subject` is the token's sub
// ("" when not known yet: adoption then waits). Errors: a live read that
// failed for a reason other than NotFound (retry later).
ctrl::StatusOr<SecretObservation> observeSecret(const SecretViewDeps& deps,
                                                const ServiceToken& token,
                                                const std::string& subject);

}  // namespace st
