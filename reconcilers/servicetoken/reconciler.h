// The ServiceToken reconciler: mints each token exactly once into its Secret,
// rotates it on schedule, and reports status (PRODUCT.md §3).
//
// Contract (controller-runtime's): level-based. It receives only a
// namespace/name, never the event that caused it, reads the world from the
// informer caches, and converges that one ServiceToken. It may be called any
// number of times for any reason (resync, restart, leader change, re-apply);
// calls for one key never overlap.
//
// One reconcile is a short sequence of named steps over typed values:
//  1. gather   what the spec asks for (policy/lifetime.h), who the token acts
//              as (subject.h), whether its display name is its own
//              (display_names.h), and the Secret it would be written to
//              (secret_view.h, with adoption and the cache of our own writes);
//  2. decide   whether to mint and why (policy/issue_policy.h), unless a
//              backoff (failure.h) or the mint-rate guard (policy/mint_guard.h)
//              says not now;
//  3. act      mint and write the Secret with compare-and-swap (issuer.h), or
//              keep the Secret's metadata in line; finish a Secret move;
//  4. report   the desired status (status_policy.h), written only when it
//              changed, plus events and metrics;
//  5. schedule the next time this token needs attention (wake_up.h).
// Running them in one pass costs one status write per mint, the minimum.
//
// Exactly-once: a mint is written either by create (the name must be
// absent) or by update with the resourceVersion the decision was made on.
// A decision made on a stale cache loses the race and mints nothing that is
// ever stored. A crash between the Secret write and the status write is
// repaired from the Secret's annotations (issued_state.h), after the token
// in it verifies as ours (secret_view.h).
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/types.h"
#include "controller/client.h"
#include "controller/clock.h"
#include "controller/controller.h"
#include "controller/event_recorder.h"
#include "controller/rate_limiter.h"
#include "controller/store.h"
#include "servicetoken/authority.h"
#include "servicetoken/display_names.h"
#include "servicetoken/secret_view.h"
#include "servicetoken/status_policy.h"
#include "servicetoken/token_metrics.h"

namespace st {

// Index names the reconciler expects on the stores.
inline constexpr const char* kByServiceUserIndex = "serviceUser";  // "ns/user:NAME"
// The user (or owner) plus the display name: the tokens that compete for one
// name, so the duplicate check reads only those, not every token of a user.
inline constexpr const char* kByDisplayNameIndex = "displayName";

struct ServiceTokenReconcilerDeps {
  // Indexed by kByServiceUserIndex and kByDisplayNameIndex.
  const ctrl::Store<ServiceToken>* tokens = nullptr;
  const ctrl::Store<TokenSecret>* secrets = nullptr;
  const ctrl::Store<ServiceUser>* users = nullptr;
  ctrl::Client* client = nullptr;
  TokenAuthority* authority = nullptr;
  ctrl::EventRecorder* events = nullptr;
  ctrl::Clock* clock = nullptr;
  TokenMetrics* metrics = nullptr;
  // Paces re-mints after a signing key was withdrawn (TriggerReason::
  // kSigningKeyRetired); null: unpaced.
  ctrl::TokenBucket* remintPacer = nullptr;
};

class ServiceTokenReconciler final : public ctrl::Reconciler {
 public:
  explicit ServiceTokenReconciler(ServiceTokenReconcilerDeps deps);
  ServiceTokenReconciler(const ServiceTokenReconciler&) = delete;
  ServiceTokenReconciler& operator=(const ServiceTokenReconciler&) = delete;

  // Errors are returned only for failures worth a rate-limited retry that
  // status does not already track (API errors while writing status);
  // failed mints are recorded in status and rescheduled with their own
  // exponential backoff (Result.requeueAfter).
  ctrl::StatusOr<ctrl::Result> reconcile(const ctrl::Request& request,
                                         std::stop_token stop) override;

  // Whether this process wrote the status the ServiceToken `key` has at
  // `resourceVersion` (so an update event carrying it is not news; a status
  // someone else wrote is). Call it from the token informer's update
  // handler, which runs after the cache holds that version: on a match the
  // reconciler forgets its copy of the written status, as the cache has
  // caught up (without this, a copy per token stayed until the token's
  // next reconcile, months later for a quiet token). Thread-safe.
  bool ownStatusWrite(const std::string& key, const std::string& resourceVersion);

  // Whether `secret`, just cached (add or update), is the very version this
  // process wrote for its ServiceToken: then nothing changed that the
  // reconcile which wrote it did not know, no new reconcile is needed, and
  // the reconciler forgets its copy (the cache has caught up). Thread-safe.
  bool ownSecretWrite(const TokenSecret& secret);

 private:
  struct Gathered;
  struct Decision;
  struct Acted;

  Gathered gather(const ServiceToken& t, ctrl::WallTime now);
  Decision decide(const ServiceToken& t, const Gathered& g, ctrl::WallTime now) const;
  Acted act(const ServiceToken& t, const Gathered& g, const Decision& d, ctrl::WallTime now);
  ctrl::Status finishMove(const ServiceToken& t, const Gathered& g, const Acted& a);
  void revokeSecret(const ServiceToken& t, const TokenSecret& secret, Acted& a);
  ctrl::Status report(const ServiceToken& t, const ServiceTokenStatus& desired);
  void announce(const ServiceToken& t, const Gathered& g, const Decision& d, const Acted& a,
                const StatusInput& sin, const ServiceTokenStatus& desired);

  ServiceTokenReconcilerDeps d_;
  // What this process last wrote, by key: bridges the moment between a write
  // and the informer seeing it, so a stale cache does not cause a pointless
  // second attempt. Correctness never depends on it (writes are CAS), and it
  // never outvotes a delete (secret_view.h confirms a miss with the server).
  WrittenSecrets written_;
  mutable std::mutex mu_;
  // The status this process last wrote and the resourceVersion the server
  // gave it: until the cache reaches that version, the written status is the
  // freshest known one (the mint-rate guard's memory and the failure backoff
  // live in status, so a lagging cache must not make them forget).
  struct WrittenStatus {
    ServiceTokenStatus status;
    std::string resourceVersion;
  };
  std::map<std::string, WrittenStatus> writtenStatus_;
  // `cached` with the status this process wrote last, while the cache lags.
  ServiceToken freshest(const ServiceToken& cached);
  // The display name each token's latest mint in this process carried.
  std::map<std::string, std::string> mintedNames_;
  DisplayNameLocks nameLocks_;
};

// Index functions for kByServiceUserIndex and kByDisplayNameIndex.
std::vector<std::string> serviceUserIndex(const ServiceToken& token);
std::vector<std::string> displayNameIndex(const ServiceToken& token);

// The key ("ns/name") of the ServiceTokens that reference this user.
std::string serviceUserIndexKey(const std::string& ns, const std::string& userName);

}  // namespace st
