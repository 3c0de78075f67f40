#include "plugin/target.h"

namespace st::plugin {

ctrl::Status tokenError(const ctrl::Status& status, const Target& target) {
  if (status.code() == ctrl::Code::kNotFound) {
    return ctrl::errorStatus(ctrl::Code::kNotFound, "servicetoken " + target.name +
                                                        " not found in namespace " + target.ns);
  }
  return status;
}

int exitCodeFor(const ctrl::Status& status) { return status.isOk() ? kExitOk : kExitError; }

}  // namespace st::plugin
