#include <nlohmann/json.hpp>

#include "api/codec.h"
#include "plugin/commands.h"

namespace st::plugin {

ctrl::Status revokeToken(ctrl::Writer& client, const Target& target, std::ostream& out) {
  const ctrl::Json patch = {{"spec", {{"revoked", true}}}};
  auto patched =
      client.patch(serviceTokenResource(), target.ns, target.name, ctrl::PatchType::kMerge, patch);
  if (!patched.isOk()) return tokenError(patched.status(), target);

  std::string secret = target.name;
  if (auto token = decodeServiceToken(*patched); token.isOk()) {
    secret = token->status.secretName.empty() ? token->secretName() : token->status.secretName;
  }
  out << "Revoked servicetoken " << target.name << " in namespace " << target.ns
      << " (spec.revoked=true; this cannot be undone).\n"
      << "The operator removes the token from Secret " << secret
      << " and never mints or rotates it again; servicetoken-verifier refuses it now.\n"
      << "Follow it with: kubectl servicetoken status " << target.name << " -n " << target.ns
      << "\n";
  return ctrl::Status::ok();
}

}  // namespace st::plugin
