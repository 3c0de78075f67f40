#include <nlohmann/json.hpp>

#include "api/types.h"
#include "controller/micro_time.h"
#include "controller/resource.h"
#include "plugin/commands.h"

namespace st::plugin {

ctrl::Status requestSigningKeyRotation(ctrl::Writer& client, const ctrl::Clock& clock,
                                       const SigningKeyTarget& target, bool retireOld,
                                       std::ostream& out) {
  const std::string value = ctrl::formatMicroTime(clock.wallNow());
  ctrl::Json annotations = {{kRotateSigningKeyAnnotation, value},
                            {kRetireOldAnnotation, retireOld ? ctrl::Json("true") : nullptr}};
  ctrl::Json patch = {{"metadata", {{"annotations", std::move(annotations)}}}};
  auto patched = client.patch(ctrl::resources::secret(), target.ns, target.secret,
                              ctrl::PatchType::kMerge, patch);
  if (!patched.isOk()) {
    if (patched.status().code() == ctrl::Code::kNotFound) {
      return ctrl::Status(ctrl::Code::kNotFound,
                          "signing-key Secret " + target.secret + " not found in namespace " +
                              target.ns +
                              " (the operator's namespace: --operator-namespace; the Secret: "
                              "--signing-key-secret)");
    }
    return patched.status();
  }
  out << "Requested a signing-key rotation in namespace " << target.ns << " ("
      << kRotateSigningKeyAnnotation << "=" << value << " on Secret " << target.secret << ").\n";
  if (retireOld) {
    out << "With --retire-old the operator signs with a new key at once and withdraws every "
           "old key from the JWKS now:\nverifiers refuse the tokens the old keys signed as soon "
           "as they see the new JWKS, and the operator\nre-mints every such token once, at a "
           "bounded rate (Events with reason SigningKeyRetired).\n";
  } else {
    out << "The operator publishes a new key in the JWKS, and it signs new tokens after the "
           "publish delay;\nthe old key stays published until the tokens it signed have "
           "expired or been replaced.\n";
  }
  return ctrl::Status::ok();
}

}  // namespace st::plugin
