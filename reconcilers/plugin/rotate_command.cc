#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "controller/micro_time.h"
#include "plugin/commands.h"
#include "plugin/token_patch.h"

namespace st::plugin {

ctrl::Status requestRotation(ctrl::Writer& client, const ctrl::Clock& clock, const Target& target,
                             std::ostream& out) {
  const std::string value = ctrl::formatMicroTime(clock.wallNow());
  ctrl::Json patch = {{"metadata", {{"annotations", {{kRotateAnnotation, value}}}}}};
  auto secret = patchServiceToken(client, target, patch);
  if (!secret.isOk()) return secret.status();
  out << "Requested rotation of servicetoken " << target.name << " in namespace " << target.ns
      << " (" << kRotateAnnotation << "=" << value << ").\n"
      << "The operator mints a new token into Secret " << *secret << "; the previous token stays "
      << "there under " << kPreviousTokenKey << " for the grace period.\n"
      << "Follow it with: kubectl servicetoken status " << target.name << " -n " << target.ns
      << "\n";
  return ctrl::Status::ok();
}

}  // namespace st::plugin
