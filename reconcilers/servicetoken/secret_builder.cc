#include "servicetoken/secret_builder.h"

#include <iterator>
#include <set>
#include <sstream>
#include <vector>

#include "api/base64.h"
#include "controller/json_writer.h"
#include "controller/object_meta.h"
#include "token/jwt.h"
#include "token/token_hash.h"

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

// The controller reference a token Secret carries to its ServiceToken.
ctrl::OwnerReference ownerRef(const ServiceToken& token) {
  return {kApiVersion, "ServiceToken", token.meta.name, token.meta.uid, true, true};
}

Json toJson(const ctrl::OwnerReference& r) {
  return {{"apiVersion", r.apiVersion},
          {"kind", r.kind},
          {"name", r.name},
          {"uid", r.uid},
          {"controller", r.controller},
          {"blockOwnerDeletion", r.blockOwnerDeletion}};
}

void write(ctrl::JsonWriter& w, const ctrl::OwnerReference& r) {
  w.beginObject()
      .member("apiVersion", r.apiVersion)
      .member("kind", r.kind)
      .member("name", r.name)
      .member("uid", r.uid)
      .key("controller")
      .boolean(r.controller)
      .key("blockOwnerDeletion")
      .boolean(r.blockOwnerDeletion)
      .endObject();
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

namespace {

// What a token Secret for `c` carries, whatever it replaces: one decision,
// which buildTokenSecret() applies over a live object and newTokenSecret()
// writes as text.
struct SecretParts {
  std::map<std::string, std::string> labels;       // set
  std::map<std::string, std::string> annotations;  // set
  std::vector<const char*> unsetAnnotations;       // ours, absent this time
  std::map<std::string, std::string> data;         // base64
  bool ownerReference = false;                     // ownerRef(token)
};

SecretParts partsOf(const SecretContent& c) {
  const ServiceToken& token = *c.token;
  const IssuedToken& minted = *c.minted;
  SecretParts p;
  const auto wantLabels = userLabels(token);
  const auto wantAnnotations = userAnnotations(token);
  p.labels = wantLabels;
  p.labels[kManagedByLabel] = kManagedByValue;
  p.labels[kTokenLabel] = token.meta.name;
  p.annotations = wantAnnotations;
  p.annotations[kAppliedLabels] = joinKeys(wantLabels);
  p.annotations[kAppliedAnnotations] = joinKeys(wantAnnotations);
  p.annotations[kTokenIdAnnotation] = minted.tokenId;
  p.annotations[kTokenHashAnnotation] = minted.tokenHash;
  p.annotations[kIssuedAtAnnotation] = ctrl::formatRfc3339(minted.issuedAt);
  p.annotations[kExpiresAtAnnotation] = formatTime(minted.expiresAt, "never");
  p.annotations[kRevisionAnnotation] = std::to_string(c.revision);
  p.annotations[kSpecHashAnnotation] = c.specHash;
  p.annotations[kRotateRequestAnnotation] = c.rotateRequest;
  p.annotations[kDisplayNameAnnotation] = token.spec.displayName;
  if (c.serviceUserUid.empty()) {
    p.unsetAnnotations.push_back(kServiceUserUidAnnotation);
  } else {
    p.annotations[kServiceUserUidAnnotation] = c.serviceUserUid;
  }
  p.data[kTokenKey] = base64Encode(minted.value.reveal());
  p.data[kExpiresAtKey] = base64Encode(formatTime(minted.expiresAt, "never"));
  p.data[kServiceUserKey] = base64Encode(c.subject);
  const char* previous[] = {kPreviousTokenIdAnnotation, kPreviousTokenHashAnnotation,
                            kPreviousExpiresAtAnnotation, kPreviousRetainedUntilAnnotation};
  if (c.previous) {
    p.data[kPreviousTokenKey] = base64Encode(c.previous->value.reveal());
    p.annotations[kPreviousTokenIdAnnotation] = c.previous->meta.tokenId;
    p.annotations[kPreviousTokenHashAnnotation] = c.previous->meta.tokenHash;
    p.annotations[kPreviousExpiresAtAnnotation] =
        c.previous->meta.expiresAt.empty() ? "never" : c.previous->meta.expiresAt;
    p.annotations[kPreviousRetainedUntilAnnotation] = c.previous->meta.retainedUntil;
  } else {
    p.unsetAnnotations.insert(p.unsetAnnotations.end(), std::begin(previous), std::end(previous));
  }
  p.ownerReference = !retain(token);
  return p;
}

void writeMap(ctrl::JsonWriter& w, std::string_view key,
              const std::map<std::string, std::string>& m) {
  w.key(key).beginObject();
  for (const auto& [k, v] : m) w.member(k, v);
  w.endObject();
}

}  // namespace

Json buildTokenSecret(const SecretContent& c, const Json* existing) {
  const ServiceToken& token = *c.token;
  const SecretParts parts = partsOf(c);
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
  for (const auto& [k, v] : parts.labels) labels[k] = v;
  for (const auto& [k, v] : parts.annotations) annotations[k] = v;
  for (const char* k : parts.unsetAnnotations) annotations.erase(k);
  secret["data"] = parts.data;
  secret.erase("stringData");

  // Owner reference: ours when Delete, none of ours when Retain; others kept.
  Json refs = Json::array();
  if (meta.contains("ownerReferences") && meta["ownerReferences"].is_array()) {
    for (const auto& r : meta["ownerReferences"]) {
      if (r.value("uid", "") != token.meta.uid) refs.push_back(r);
    }
  }
  if (parts.ownerReference) refs.push_back(toJson(ownerRef(token)));
  if (refs.empty()) {
    meta.erase("ownerReferences");
  } else {
    meta["ownerReferences"] = std::move(refs);
  }
  return secret;
}

ctrl::StatusOr<ctrl::JsonText> newTokenSecret(const SecretContent& c) {
  const ServiceToken& token = *c.token;
  const SecretParts parts = partsOf(c);
  ctrl::JsonWriter w;
  w.beginObject().member("apiVersion", "v1").member("kind", "Secret").member("type", kSecretType);
  w.key("metadata")
      .beginObject()
      .member("name", token.secretName())
      .member("namespace", token.meta.namespace_);
  writeMap(w, "labels", parts.labels);
  writeMap(w, "annotations", parts.annotations);
  if (parts.ownerReference) {
    w.key("ownerReferences").beginArray();
    write(w, ownerRef(token));
    w.endArray();
  }
  w.endObject();
  writeMap(w, "data", parts.data);
  w.endObject();
  return std::move(w).take();
}

TokenSecret writtenTokenSecret(const SecretContent& c, ctrl::ObjectMeta answered) {
  TokenSecret secret;
  secret.meta = std::move(answered);
  secret.type = kSecretType;
  secret.tokenHash = tokenHash(c.minted->value);
  secret.kid = jwtKeyId(c.minted->value.reveal());
  if (c.previous) {
    secret.previousTokenHash = tokenHash(c.previous->value);
    secret.previousKid = jwtKeyId(c.previous->value.reveal());
  }
  secret.hasExpiresAt = true;
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
    refs.push_back(toJson(r));
  }
  const bool wantOurs = !retain(token);
  if (haveOurs != wantOurs) {
    if (wantOurs) refs.push_back(toJson(ownerRef(token)));
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
