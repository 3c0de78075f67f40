#include "servicetoken/conditions.h"

#include "controller/object_meta.h"

namespace st {

void setCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  int64_t observedGeneration, ctrl::WallTime now) {
  for (Condition& c : conditions) {
    if (c.type != type) continue;
    if (c.status != status) c.lastTransitionTime = ctrl::formatRfc3339(now);
    c.status = status;
    c.reason = reason;
    c.message = message;
    c.observedGeneration = observedGeneration;
    return;
  }
  conditions.push_back(
      Condition{type, status, reason, message, observedGeneration, ctrl::formatRfc3339(now)});
}

const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type) {
  for (const Condition& c : conditions) {
    if (c.type == type) return &c;
  }
  return nullptr;
}

}  // namespace st
