#include "servicetoken/secret_builder.h"

#include <set>
#include <sstream>

#include "api/base64.h"
#include "controller/object_meta.h"

namespace st {
namespace {

using ctrl::Json;

// Annotations recording which spec.secret keys the operator applied, so a key
// removed from the spec is removed from the Secret too.
constexpr const char* kAppliedLabels = "servicetoken.dev/applied-labels";
constexpr const char* kAppliedAnnotations = "servicetoken.dev/applied-annotations";

std::string joinKeys(const std::map<std::string, std::string>& m) {
  std::string out;
  for (const auto& [k, v] : m) {
    if (!out.empty()) out += ',';
    out += k;
  }
  return out;
}

std::set<std::string> splitKeys(const std::string& s) {
  std::set<std::string> out;
  std::stringstream ss(s);
  for (std::string k; std::getline(ss, k, ',');) {
    if (!k.empty()) out.insert(k);
  }
  return out;
}

std::map<std::string, std::string> userAnnotations(const ServiceToken& token) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : token.spec.secret.annotations) {
    if (!isToolingAnnotation(k) && k.rfind("servicetoken.dev/", 0) != 0) out.emplace(k, v);
  }
  return out;
}

std::map<std::string, std::string> userLabels(const ServiceToken& token) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : token.spec.secret.labels) {
    if (k != kManagedByLabel && k.rfind("servicetoken.dev/", 0) != 0) out.emplace(k, v);
  }
  return out;
}

bool retain(const ServiceToken& token) { return token.spec.secret.deletionPolicy == "Retain"; }

Json ownerRef(const ServiceToken& token) {
  return {{"apiVersion", kApiVersion}, {"kind", "ServiceToken"}, {"name", token.meta.name},
          {"uid", token.meta.uid},     {"controller", true},     {"blockOwnerDeletion", true}};
}

std::string formatTime(const std::optional<ctrl::WallTime>& t, const char* none) {
  return t ? ctrl::formatRfc3339(*t) : std::string(none);
}

}  // namespace

bool isToolingAnnotation(const std::string& key) {
  static const char* kPrefixes[] = {
      "kubectl.kubernetes.io/",   "argocd.argoproj.io/", "kustomize.toolkit.fluxcd.io/",
      "helm.toolkit.fluxcd.io/",  "meta.helm.sh/",       "helm.sh/",
      "deployment.kubernetes.io/"};
  for (const char* p : kPrefixes) {
    if (key.rfind(p, 0) == 0) return true;
  }
  return false;
}

Json buildTokenSecret(const SecretContent& c, const Json* existing) {
  const ServiceToken& token = *c.token;
  const IssuedToken& minted = *c.minted;
  Json secret = existing != nullptr ? *existing : Json::object();
  secret["apiVersion"] = "v1";
  secret["kind"] = "Secret";
  secret["type"] = kSecretType;
  Json& meta = secret["metadata"];
  meta["name"] = token.secretName();
  meta["namespace"] = token.meta.namespace_;
  meta.erase("managedFields");

  // Labels: drop what we applied before, then apply what the spec says now.
  Json& labels = meta["labels"];
  if (!labels.is_object()) labels = Json::object();
  Json& annotations = meta["annotations"];
  if (!annotations.is_object()) annotations = Json::object();
  if (annotations.contains(kAppliedLabels) && annotations[kAppliedLabels].is_string()) {
    for (const auto& k : splitKeys(annotations[kAppliedLabels].get<std::string>())) labels.erase(k);
  }
  if (annotations.contains(kAppliedAnnotations) && annotations[kAppliedAnnotations].is_string()) {
    for (const auto& k : splitKeys(annotations[kAppliedAnnotations].get<std::string>())) {
      annotations.erase(k);
    }
  }
  const auto wantLabels = userLabels(token);
  const auto wantAnnotations = userAnnotations(token);
  for (const auto& [k, v] : wantLabels) labels[k] = v;
  labels[kManagedByLabel] = kManagedByValue;
  labels[kTokenLabel] = token.meta.name;
  for (const auto& [k, v] : wantAnnotations) annotations[k] = v;
  annotations[kAppliedLabels] = joinKeys(wantLabels);
  annotations[kAppliedAnnotations] = joinKeys(wantAnnotations);

  annotations[kTokenIdAnnotation] = minted.tokenId;
  annotations[kTokenHashAnnotation] = minted.tokenHash;
  annotations[kIssuedAtAnnotation] = ctrl::formatRfc3339(minted.issuedAt);
  annotations[kExpiresAtAnnotation] = formatTime(minted.expiresAt, "never");
  annotations[kRevisionAnnotation] = std::to_string(c.revision);
  annotations[kSpecHashAnnotation] = c.specHash;
  annotations[kRotateRequestAnnotation] = c.rotateRequest;
  annotations[kDisplayNameAnnotation] = token.spec.displayName;
  if (c.serviceUserUid.empty()) {
    annotations.erase(kServiceUserUidAnnotation);
  } else {
    annotations[kServiceUserUidAnnotation] = c.serviceUserUid;
  }
  for (const char* k : {kPreviousTokenIdAnnotation, kPreviousTokenHashAnnotation,
                        kPreviousExpiresAtAnnotation, kPreviousRetainedUntilAnnotation}) {
    annotations.erase(k);
  }

  Json data = Json::object();
  data[kTokenKey] = base64Encode(minted.value.reveal());
  data[kExpiresAtKey] = base64Encode(formatTime(minted.expiresAt, "never"));
  data[kServiceUserKey] = base64Encode(c.subject);
  if (c.previous) {
    data[kPreviousTokenKey] = base64Encode(c.previous->value.reveal());
    annotations[kPreviousTokenIdAnnotation] = c.previous->meta.tokenId;
    annotations[kPreviousTokenHashAnnotation] = c.previous->meta.tokenHash;
    annotations[kPreviousExpiresAtAnnotation] =
        c.previous->meta.expiresAt.empty() ? "never" : c.previous->meta.expiresAt;
    annotations[kPreviousRetainedUntilAnnotation] = c.previous->meta.retainedUntil;
  }
  secret["data"] = std::move(data);
  secret.erase("stringData");

  // Owner reference: ours when Delete, none of ours when Retain; others kept.
  Json refs = Json::array();
  if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array()) {
    for (const auto& r : meta["ownerReferences"]) {
      if (r.value("uid", "") != token.meta.uid) refs.push_back(r);
    }
  }
  if (!retain(token)) refs.push_back(ownerRef(token));
  if (refs.empty()) {
    meta.erase("ownerReferences");
  } else {
    meta["ownerReferences"] = std::move(refs);
  }
  return secret;
}

std::optional<Json> secretMaintenancePatch(const ServiceToken& token, const TokenSecret& secret,
                                           bool dropPrevious) {
  Json meta = Json::object();
  const auto& have = secret.meta;
  auto annotation = [&](const char* k) { return std::string(have.annotations.get(k)); };

  const auto wantLabels = userLabels(token);
  const auto wantAnnotations = userAnnotations(token);
  Json labels = Json::object();
  for (const auto& k : splitKeys(annotation(kAppliedLabels))) {
    if (!wantLabels.contains(k) && have.labels.contains(k)) labels[k] = nullptr;
  }
  for (const auto& [k, v] : wantLabels) {
    auto it = have.labels.find(k);
    if (it == have.labels.end() || it->second != v) labels[k] = v;
  }
  Json annotations = Json::object();
  for (const auto& k : splitKeys(annotation(kAppliedAnnotations))) {
    if (!wantAnnotations.contains(k) && have.annotations.contains(k)) annotations[k] = nullptr;
  }
  for (const auto& [k, v] : wantAnnotations) {
    auto it = have.annotations.find(k);
    if (it == have.annotations.end() || it->second != v) annotations[k] = v;
  }
  if (annotation(kAppliedLabels) != joinKeys(wantLabels)) {
    annotations[kAppliedLabels] = joinKeys(wantLabels);
  }
  if (annotation(kAppliedAnnotations) != joinKeys(wantAnnotations)) {
    annotations[kAppliedAnnotations] = joinKeys(wantAnnotations);
  }

  Json patch = Json::object();
  if (dropPrevious) {
    patch["data"] = {{kPreviousTokenKey, nullptr}};
    for (const char* k : {kPreviousTokenIdAnnotation, kPreviousTokenHashAnnotation,
                          kPreviousExpiresAtAnnotation, kPreviousRetainedUntilAnnotation}) {
      annotations[k] = nullptr;
    }
  }

  // Owner reference in line with deletionPolicy.
  bool haveOurs = false;
  Json refs = Json::array();
  for (const auto& r : have.ownerReferences) {
    if (r.uid == token.meta.uid) {
      haveOurs = true;
      continue;
    }
    refs.push_back({{"apiVersion", r.apiVersion},
                    {"kind", r.kind},
                    {"name", r.name},
                    {"uid", r.uid},
                    {"controller", r.controller},
                    {"blockOwnerDeletion", r.blockOwnerDeletion}});
  }
  const bool wantOurs = !retain(token);
  if (haveOurs != wantOurs) {
    if (wantOurs) refs.push_back(ownerRef(token));
    meta["ownerReferences"] = refs.empty() ? Json(nullptr) : refs;
  }

  if (!labels.empty()) meta["labels"] = std::move(labels);
  if (!annotations.empty()) meta["annotations"] = std::move(annotations);
  if (meta.empty() && !dropPrevious) return std::nullopt;
  meta["resourceVersion"] = have.resourceVersion;
  patch["metadata"] = std::move(meta);
  return patch;
}

}  // namespace st
