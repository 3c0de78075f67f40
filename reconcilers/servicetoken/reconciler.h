// The ServiceToken reconciler: mints each token exactly once into its Secret,
// rotates it on schedule, and reports status (PRODUCT.md §3).
//
// Contract (controller-runtime's): level-based. It receives only a
// namespace/name, never the event that caused it, reads the world from the
// informer caches, and converges that one ServiceToken. It may be called any
// number of times for any reason (resync, restart, leader change, re-apply);
// calls for one key never overlap.
//
// One reconcile runs three concerns in order, each its own unit:
//  1. issuing   (issuer.h): gather → trigger policies (policy/issue_policy.h)
//               → mint and write the Secret with compare-and-swap;
//  2. status    (status_policy.h): the desired status from what was gathered
//               and done, written only when it changed;
//  3. schedule  (schedule.h, wake_up.h): the next time this token needs
//               attention (renewal, end of grace period, expiry).
// Running them in one pass costs one status write per mint, the minimum.
//
// Exactly-once: a mint is written either by create (the name must be
// absent) or by update with the resourceVersion the decision was made on.
// A decision made on a stale cache loses the race and mints nothing that is
// ever stored. A crash between the Secret write and the status write is
// repaired from the Secret's annotations (issued_state.h).
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
#include "controller/store.h"
#include "servicetoken/authority.h"
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

 private:
  struct Written;
  ServiceTokenReconcilerDeps d_;
  // What this process last wrote, by key: bridges the moment between a write
  // and the informer seeing it, so a stale cache does not cause a pointless
  // second attempt. Correctness never depends on it (writes are CAS).
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<const TokenSecret>> writtenSecrets_;
  std::map<std::string, ServiceTokenStatus> writtenStatus_;
};

// Index functions for kByServiceUserIndex and kByDisplayNameIndex.
std::vector<std::string> serviceUserIndex(const ServiceToken& token);
std::vector<std::string> displayNameIndex(const ServiceToken& token);

// The key ("ns/name") of the ServiceTokens that reference this user.
std::string serviceUserIndexKey(const std::string& ns, const std::string& userName);

}  // namespace st
