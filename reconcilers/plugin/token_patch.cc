#include "plugin/token_patch.h"

#include "api/codec.h"

namespace st::plugin {

ctrl::StatusOr<std::string> patchServiceToken(ctrl::Writer& client, const Target& target,
                                              const ctrl::Json& patch) {
  auto patched =
      client.patch(serviceTokenResource(), target.ns, target.name, ctrl::PatchType::kMerge, patch);
  if (!patched.isOk()) return tokenError(patched.status(), target);
  auto token = decodeServiceToken(*patched);
  if (!token.isOk()) return target.name;
  return token->status.secretName.empty() ? token->secretName() : token->status.secretName;
}

}  // namespace st::plugin
