#include "servicetoken/subject.h"

#include "servicetoken/conditions.h"

namespace st {

Subject resolveSubject(const ServiceToken& t, const ctrl::Store<ServiceUser>& users) {
  Subject subject;
  if (t.spec.type == TokenType::kPersonal) {
    subject.id = t.spec.owner;
    return subject;
  }
  auto user = users.get(t.meta.namespace_, t.spec.serviceUserRef);
  if (!user || user->meta.deletionTimestamp) {
    subject.blocker = Blocker::kServiceUserNotFound;
    subject.message =
        "ServiceUser " + t.spec.serviceUserRef + " does not exist in namespace " +
        t.meta.namespace_ +
        (t.status.revision > 0
             ? "; it was deleted, so its token is revoked; a new token is minted if it is "
               "created again"
             : "; the token is minted once it does");
    return subject;
  }
  const Condition* ready = findCondition(user->status.conditions, "Ready");
  subject.id = user->status.userId;
  subject.email = user->spec.email;
  subject.userUid = user->meta.uid;
  if (subject.id.empty() || ready == nullptr || ready->status != "True" ||
      user->status.observedGeneration != user->meta.generation) {
    subject.blocker = Blocker::kServiceUserNotReady;
    subject.message = "ServiceUser " + t.spec.serviceUserRef + " is not Ready" +
                      (ready != nullptr && !ready->message.empty() ? ": " + ready->message : "");
  }
  return subject;
}

}  // namespace st
