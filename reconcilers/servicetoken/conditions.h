// metav1.Condition bookkeeping with Kubernetes semantics: lastTransitionTime
// changes only when the status flips.
#pragma once

#include <string>
#include <vector>

#include "api/types.h"
#include "controller/clock.h"

namespace st {

// Sets condition `type`, keeping lastTransitionTime when `status` is
// unchanged. `now` is only used for a transition.
void setCondition(std::vector<Condition>& conditions, const std::string& type,
                  const std::string& status, const std::string& reason, const std::string& message,
                  int64_t observedGeneration, ctrl::WallTime now);

// The condition of that type, or nullptr.
const Condition* findCondition(const std::vector<Condition>& conditions, const std::string& type);

}  // namespace st
