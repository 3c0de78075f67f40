#include <nlohmann/json.hpp>

#include "plugin/commands.h"
#include "plugin/token_patch.h"

namespace st::plugin {

ctrl::Status revokeToken(ctrl::Writer& client, const Target& target, std::ostream& out) {
  const ctrl::Json patch = {{"spec", {{"revoked", true}}}};
  auto secret = patchServiceToken(client, target, patch);
  if (!secret.isOk()) return secret.status();
  out << "Revoked servicetoken " << target.name << " in namespace " << target.ns
      << " (spec.revoked=true; this cannot be undone).\n"
      << "The operator removes the token from Secret " << *secret
      << " and never mints or rotates it again; servicetoken-verifier refuses it now.\n"
      << "Follow it with: kubectl servicetoken status " << target.name << " -n " << target.ns
      << "\n";
  return ctrl::Status::ok();
}

}  // namespace st::plugin
