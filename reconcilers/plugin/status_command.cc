#include "api/codec.h"
#include "plugin/commands.h"
#include "plugin/status_text.h"

namespace st::plugin {

ctrl::Status showStatus(ctrl::Reader& client, const ctrl::Clock& clock, const Target& target,
                        std::ostream& out) {
  auto object = client.get(serviceTokenResource(), target.ns, target.name);
  if (!object.isOk()) return tokenError(object.status(), target);
  auto token = decodeServiceToken(*object);
  if (!token.isOk()) return token.status().withContext("servicetoken " + target.name);
  out << formatStatus(*token, clock.wallNow());
  return ctrl::Status::ok();
}

}  // namespace st::plugin
