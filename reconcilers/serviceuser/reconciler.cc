#include "serviceuser/reconciler.h"

#include <algorithm>

#include "api/codec.h"
#include "controller/log.h"
#include "policy/naming.h"
#include "servicetoken/conditions.h"

namespace st {
namespace {

bool older(const ServiceUser& a, const ServiceUser& b) {
  if (a.meta.creationTimestamp != b.meta.creationTimestamp) {
    return a.meta.creationTimestamp < b.meta.creationTimestamp;
  }
  return a.meta.key() < b.meta.key();
}

}  // namespace

std::vector<std::string> userIdIndex(const ServiceUser& user) {
  return {deriveUserId(user.spec.displayName, user.meta.namespace_)};
}

ServiceUserStatus desiredUserStatus(const ServiceUser& user,
                                    const std::vector<std::shared_ptr<const ServiceUser>>& sameId,
                                    ctrl::WallTime now) {
  ServiceUserStatus s = user.status;
  s.userId = deriveUserId(user.spec.displayName, user.meta.namespace_);
  s.observedGeneration = user.meta.generation;
  const ServiceUser* winner = &user;
  for (const auto& other : sameId) {
    if (other->meta.uid == user.meta.uid || other->meta.deletionTimestamp) continue;
    if (older(*other, *winner)) winner = other.get();
  }
  const std::string_view slug = std::string_view(s.userId).substr(0, s.userId.find('@'));
  if (std::none_of(slug.begin(), slug.end(), [](char c) { return c != '_'; })) {
    // The CRD refuses such names; this is the defence in depth.
    setCondition(s.conditions, "Ready", "False", "InvalidDisplayName",
                 "The display name has no letter or digit, so no userId can be derived from it",
                 user.meta.generation, now);
  } else if (winner != &user) {
    setCondition(s.conditions, "Ready", "False", "UserIdConflict",
                 "ServiceUser " + winner->meta.key() + " already has userId " + s.userId +
                     "; choose another display name",
                 user.meta.generation, now);
  } else {
    setCondition(s.conditions, "Ready", "True", "UserIdAssigned",
                 "Tokens for this user act as " + s.userId, user.meta.generation, now);
  }
  return s;
}

ctrl::StatusOr<ctrl::Result> ServiceUserReconciler::reconcile(const ctrl::Request& request,
                                                              std::stop_token /*stop*/) {
  auto user = d_.users->get(request.key());
  if (!user || user->meta.deletionTimestamp) return ctrl::Result{};
  auto sameId = d_.users->byIndex(kByUserIdIndex,
                                  deriveUserId(user->spec.displayName, user->meta.namespace_));
  ServiceUserStatus desired = desiredUserStatus(*user, sameId, d_.clock->wallNow());
  if (desired == user->status) return ctrl::Result{};
  ctrl::PatchOptions options;
  options.subresource = "status";
  auto body = statusPatch(desired);
  if (!body.isOk()) return body.status().withContext("writing ServiceUser status");
  auto written = d_.writer->patchText(serviceUserResource(), user->meta.namespace_, user->meta.name,
                                      ctrl::PatchType::kMerge, std::move(body).value(), options);
  if (!written.isOk()) {
    if (written.status().code() == ctrl::Code::kNotFound) return ctrl::Result{};
    return written.status().withContext("updating ServiceUser status");
  }
  ctrl::log::named("serviceuser")
      .v(1)
      .info("Updated ServiceUser status",
            {{"ServiceUser", request.key()},
             {"userId", desired.userId},
             {"ready", findCondition(desired.conditions, "Ready")->status}});
  return ctrl::Result{};
}

}  // namespace st
