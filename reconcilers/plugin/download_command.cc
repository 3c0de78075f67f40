#include <nlohmann/json.hpp>

#include "api/base64.h"
#include "api/codec.h"
#include "controller/object_meta.h"
#include "plugin/commands.h"
#include "plugin/status_text.h"
#include "plugin/token_file.h"
#include "policy/naming.h"
#include "token/secret_string.h"

namespace st::plugin {
namespace {

ctrl::Status refuse(std::string message) {
  return ctrl::errorStatus(ctrl::Code::kConflict, std::move(message));
}

std::string readyDetail(const ServiceToken& token) {
  for (const Condition& c : token.status.conditions) {
    if (c.type == "Ready") return " [" + formatCondition(c) + "]";
  }
  return "";
}

// Only a Secret the operator wrote for this very ServiceToken may be
// downloaded: anything else under that name is not ours to hand out.
ctrl::Status checkOwnership(const ctrl::ObjectMeta& secret, const Target& target) {
  auto label = [&](const char* key) -> std::string { return std::string(secret.labels.get(key)); };
  if (label(kTokenLabel) == target.name && label(kManagedByLabel) == kManagedByValue) {
    return ctrl::Status::ok();
  }
  return refuse("Secret " + secret.name + " in namespace " + target.ns +
                " is not managed by servicetoken-operator for servicetoken " + target.name +
                " (it needs the labels " + kTokenLabel + "=" + target.name + " and " +
                kManagedByLabel + "=" + kManagedByValue + "); refusing to download from it");
}

// The decoded data.token. Errors never include the value.
ctrl::StatusOr<SecretString> tokenValue(const ctrl::Json& secret, const std::string& secretName) {
  auto noToken = [&] {
    return ctrl::errorStatus(
        ctrl::Code::kNotFound,
        "Secret " + secretName + " holds no token (data." + kTokenKey + " is missing or empty)");
  };
  auto data = secret.find("data");
  if (data == secret.end() || !data->is_object()) return noToken();
  auto field = data->find(kTokenKey);
  if (field == data->end() || !field->is_string()) return noToken();
  auto decoded = base64Decode(field->get_ref<const std::string&>());
  if (!decoded.isOk()) {
    return ctrl::errorStatus(
        ctrl::Code::kInvalid,
        "data." + std::string(kTokenKey) + " of Secret " + secretName + " is not valid base64");
  }
  if (decoded->empty()) return noToken();
  return SecretString(std::move(decoded).value());
}

}  // namespace

ctrl::Status downloadToken(ctrl::Reader& client, const Target& target,
                           const DownloadOptions& options, std::ostream& out) {
  auto object = client.get(serviceTokenResource(), target.ns, target.name);
  if (!object.isOk()) return tokenError(object.status(), target);
  auto token = decodeServiceToken(*object);
  if (!token.isOk()) return token.status().withContext("servicetoken " + target.name);

  const std::string& phase = token->status.phase;
  if (phase != "Active") {
    if (!options.force) {
      return refuse("servicetoken " + target.name + " in namespace " + target.ns + " is " +
                    (phase.empty() ? "not reported by the operator yet" : phase) + ", not Active" +
                    readyDetail(*token) +
                    "; refusing to download (use --force to download the stored token anyway)");
    }
    out << "Warning: servicetoken " << target.name << " is "
        << (phase.empty() ? "without status" : phase) << ", not Active; downloading anyway "
        << "(--force)\n";
  }

  const std::string secretName =
      token->status.secretName.empty() ? token->secretName() : token->status.secretName;
  auto secret = client.get(ctrl::resources::secret(), target.ns, secretName);
  if (!secret.isOk()) {
    if (secret.status().code() == ctrl::Code::kNotFound) {
      return ctrl::errorStatus(ctrl::Code::kNotFound, "Secret " + secretName + " of servicetoken " +
                                                          target.name + " not found in namespace " +
                                                          target.ns);
    }
    return secret.status();
  }
  auto meta = ctrl::decodeObjectMetaOf(*secret);
  if (!meta.isOk()) return meta.status().withContext("Secret " + secretName);
  if (auto s = checkOwnership(*meta, target); !s.isOk()) return s;
  auto value = tokenValue(*secret, secretName);
  if (!value.isOk()) return value.status();

  const std::string displayName =
      token->spec.displayName.empty() ? target.name : token->spec.displayName;
  auto path = writeTokenFile(options.outputDir, downloadFileName(displayName), value->reveal(),
                             options.force);
  if (!path.isOk()) return path.status();
  out << "Wrote the token of servicetoken " << target.name << " (Secret " << secretName;
  // The Secret's own annotation names the token it holds (status may lag).
  if (auto id = meta->annotations.find(kTokenIdAnnotation); id != meta->annotations.end()) {
    out << ", token " << id->second;
  }
  out << ") to " << *path << " (mode 0600).\n";
  return ctrl::Status::ok();
}

}  // namespace st::plugin
