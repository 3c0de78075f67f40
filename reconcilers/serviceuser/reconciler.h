// The ServiceUser reconciler: derives status.userId from the display name
// ("Pipeline Automation" in namespace data -> pipeline_automation@data.service)
// and reports Ready. The display name is immutable (CRD rule), so the id never
// changes under a minted token; the namespace in it keeps ids from passing
// between namespaces. Two users of one namespace whose display names derive
// the same userId clash; the older keeps Ready=True, the younger gets
// Ready=False, reason UserIdConflict.
//
// Level-based, like every reconciler here: it receives only namespace/name,
// reads the cache, and writes status only when it changed.
#pragma once

#include <string>
#include <vector>

#include "api/types.h"
#include "controller/client.h"
#include "controller/clock.h"
#include "controller/controller.h"
#include "controller/store.h"

namespace st {

inline constexpr const char* kByUserIdIndex = "userId";

// Index function for kByUserIdIndex: the derived userId.
std::vector<std::string> userIdIndex(const ServiceUser& user);

struct ServiceUserReconcilerDeps {
  const ctrl::Store<ServiceUser>* users = nullptr;  // indexed by kByUserIdIndex
  ctrl::Writer* writer = nullptr;
  ctrl::Clock* clock = nullptr;
};

// The status `user` should have, given every user deriving the same userId
// (including itself). Pure.
ServiceUserStatus desiredUserStatus(const ServiceUser& user,
                                    const std::vector<std::shared_ptr<const ServiceUser>>& sameId,
                                    ctrl::WallTime now);

class ServiceUserReconciler final : public ctrl::Reconciler {
 public:
  explicit ServiceUserReconciler(ServiceUserReconcilerDeps deps) : d_(deps) {}
  ctrl::StatusOr<ctrl::Result> reconcile(const ctrl::Request& request,
                                         std::stop_token stop) override;

 private:
  ServiceUserReconcilerDeps d_;
};

}  // namespace st
