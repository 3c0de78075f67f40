#include "api/codec.h"

#include <string>

#include "api/base64.h"
#include "token/jwt.h"
#include "token/token_hash.h"

namespace st {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;

Status wrongType(const std::string& path, const char* want) {
  return Status(Code::kInvalidArgument, path + ": expected " + want);
}

// Reads optional fields of one JSON object, remembering the first error.
class Fields {
 public:
  Fields(const Json* object, std::string path) : object_(object), path_(std::move(path)) {
    if (object_ != nullptr && !object_->is_object() && !object_->is_null()) {
      status_ = wrongType(path_, "an object");
      object_ = nullptr;
    }
  }

  const Json* find(const char* key) {
    if (object_ == nullptr || object_->is_null()) return nullptr;
    auto it = object_->find(key);
    if (it == object_->end() || it->is_null()) return nullptr;
    return &*it;
  }
  std::string path(const char* key) const { return path_ + "." + key; }

  void str(const char* key, std::string& out) {
    if (const Json* v = find(key)) {
      if (v->is_string()) {
        out = v->get<std::string>();
      } else {
        fail(wrongType(path(key), "a string"));
      }
    }
  }
  void boolean(const char* key, bool& out) {
    if (const Json* v = find(key)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        fail(wrongType(path(key), "a boolean"));
      }
    }
  }
  template <typename Int>
  void integer(const char* key, Int& out) {
    if (const Json* v = find(key)) {
      if (v->is_number_integer()) {
        out = v->get<Int>();
      } else {
        fail(wrongType(path(key), "an integer"));
      }
    }
  }
  void stringMap(const char* key, std::map<std::string, std::string>& out) {
    const Json* v = find(key);
    if (v == nullptr) return;
    if (!v->is_object()) return fail(wrongType(path(key), "an object"));
    for (const auto& [k, val] : v->items()) {
      if (!val.is_string()) return fail(wrongType(path(key) + "." + k, "a string"));
      out.emplace(k, val.get<std::string>());
    }
  }
  void stringList(const char* key, std::vector<std::string>& out) {
    const Json* v = find(key);
    if (v == nullptr) return;
    if (!v->is_array()) return fail(wrongType(path(key), "a list"));
    out.reserve(out.size() + v->size());  // exact: cached for the object's lifetime
    for (const auto& item : *v) {
      if (!item.is_string()) return fail(wrongType(path(key), "a list of strings"));
      out.push_back(item.get<std::string>());
    }
  }
  void conditions(const char* key, std::vector<Condition>& out) {
    const Json* v = find(key);
    if (v == nullptr) return;
    if (!v->is_array()) return fail(wrongType(path(key), "a list"));
    out.reserve(out.size() + v->size());  // exact: cached for the object's lifetime
    for (const auto& item : *v) {
      Fields c(&item, path(key) + "[]");
      Condition cond;
      c.str("type", cond.type);
      c.str("status", cond.status);
      c.str("reason", cond.reason);
      c.str("message", cond.message);
      c.integer("observedGeneration", cond.observedGeneration);
      c.str("lastTransitionTime", cond.lastTransitionTime);
      if (!c.ok()) return fail(c.status());
      out.push_back(std::move(cond));
    }
  }

  void fail(Status s) {
    if (status_.isOk()) status_ = std::move(s);
  }
  bool ok() const { return status_.isOk(); }
  const Status& status() const { return status_; }

 private:
  const Json* object_;
  std::string path_;
  Status status_;
};

// kubectl's copy of the whole manifest is never read and would double the
// cache's size for applied objects.
ctrl::StatusOr<ctrl::ObjectMeta> kept(ctrl::StatusOr<ctrl::ObjectMeta> m) {
  if (m.isOk()) m->annotations.erase("kubectl.kubernetes.io/last-applied-configuration");
  return m;
}

ctrl::StatusOr<ctrl::ObjectMeta> meta(const Json& object) {
  if (!object.is_object()) return Status(Code::kInvalidArgument, "object: expected an object");
  return kept(ctrl::decodeObjectMetaOf(object));
}

}  // namespace

ctrl::StatusOr<ctrl::ObjectMeta> decodeMetadata(const Json& metadata) {
  return kept(ctrl::decodeObjectMeta(metadata));
}

const char* typeName(TokenType type) {
  return type == TokenType::kPersonal ? "Personal" : "Service";
}

ctrl::StatusOr<ServiceUser> decodeServiceUser(const Json& object) {
  auto m = meta(object);
  if (!m.isOk()) return m.status();
  ServiceUser user;
  user.meta = std::move(m).value();
  Fields spec(object.contains("spec") ? &object["spec"] : nullptr, "spec");
  spec.str("displayName", user.spec.displayName);
  spec.str("email", user.spec.email);
  spec.str("role", user.spec.role);
  spec.stringList("teams", user.spec.teams);
  if (!spec.ok()) return spec.status();
  Fields status(object.contains("status") ? &object["status"] : nullptr, "status");
  status.str("userId", user.status.userId);
  status.integer("observedGeneration", user.status.observedGeneration);
  status.conditions("conditions", user.status.conditions);
  if (!status.ok()) return status.status();
  return user;
}

ctrl::StatusOr<ServiceToken> decodeServiceToken(const Json& object) {
  auto m = meta(object);
  if (!m.isOk()) return m.status();
  ServiceToken token;
  token.meta = std::move(m).value();
  ServiceTokenSpec& s = token.spec;
  Fields spec(object.contains("spec") ? &object["spec"] : nullptr, "spec");
  spec.str("displayName", s.displayName);
  std::string type;
  spec.str("type", type);
  if (type == "Personal") {
    s.type = TokenType::kPersonal;
  } else if (type == "Service" || type.empty()) {
    s.type = TokenType::kService;
  } else {
    spec.fail(Status(Code::kInvalidArgument, "spec.type: must be Service or Personal"));
  }
  if (const Json* ref = spec.find("serviceUserRef")) {
    Fields r(ref, "spec.serviceUserRef");
    r.str("name", s.serviceUserRef);
    if (!r.ok()) spec.fail(r.status());
  }
  spec.str("owner", s.owner);
  spec.str("expiration", s.expiration);
  int days = 0;
  if (spec.find("expiresInDays") != nullptr) {
    spec.integer("expiresInDays", days);
    s.expiresInDays = days;
  }
  spec.boolean("scimAdministration", s.scimAdministration);
  spec.boolean("revoked", s.revoked);
  if (const Json* sec = spec.find("secret")) {
    Fields f(sec, "spec.secret");
    f.str("name", s.secret.name);
    f.stringMap("labels", s.secret.labels);
    f.stringMap("annotations", s.secret.annotations);
    f.str("deletionPolicy", s.secret.deletionPolicy);
    if (!f.ok()) spec.fail(f.status());
  }
  if (const Json* rot = spec.find("rotation")) {
    Fields f(rot, "spec.rotation");
    f.str("policy", s.rotation.policy);
    f.str("renewBefore", s.rotation.renewBefore);
    f.str("gracePeriod", s.rotation.gracePeriod);
    if (!f.ok()) spec.fail(f.status());
  }
  if (!spec.ok()) return spec.status();

  ServiceTokenStatus& st = token.status;
  Fields status(object.contains("status") ? &object["status"] : nullptr, "status");
  status.str("phase", st.phase);
  status.integer("observedGeneration", st.observedGeneration);
  status.str("serviceUserId", st.serviceUserId);
  status.str("secretName", st.secretName);
  status.str("expiration", st.expiration);
  status.str("tokenId", st.tokenId);
  status.str("tokenHash", st.tokenHash);
  status.str("lastUsedTime", token.lastUsedTime);
  status.str("issuedAt", st.issuedAt);
  status.str("expiresAt", st.expiresAt);
  status.str("renewalTime", st.renewalTime);
  status.integer("revision", st.revision);
  status.str("rotateRequest", st.rotateRequest);
  status.str("lastFailureTime", st.lastFailureTime);
  status.integer("failedAttempts", st.failedAttempts);
  status.str("lastFailureReason", st.lastFailureReason);
  status.str("lastFailureMessage", st.lastFailureMessage);
  status.stringList("automaticMints", st.automaticMints);
  if (const Json* prev = status.find("previousToken")) {
    Fields f(prev, "status.previousToken");
    PreviousToken p;
    f.str("tokenId", p.tokenId);
    f.str("tokenHash", p.tokenHash);
    f.str("expiresAt", p.expiresAt);
    f.str("retainedUntil", p.retainedUntil);
    if (!f.ok()) status.fail(f.status());
    st.previousToken = std::move(p);
  }
  status.conditions("conditions", st.conditions);
  if (!status.ok()) return status.status();
  return token;
}

ctrl::StatusOr<TokenSecret> decodeTokenSecret(const Json& object) {
  auto m = meta(object);
  if (!m.isOk()) return m.status();
  TokenSecret secret;
  secret.meta = std::move(m).value();
  Fields top(&object, "");
  top.str("type", secret.type);
  if (!top.ok()) return top.status();
  const Json* data = top.find("data");
  if (data == nullptr) return secret;
  if (!data->is_object()) return wrongType("data", "an object");
  auto hashOf = [&](const char* key, std::string& out, std::string& kid) -> Status {
    auto it = data->find(key);
    if (it == data->end() || it->is_null()) return Status::ok();
    if (!it->is_string()) return wrongType(std::string("data.") + key, "a string");
    auto raw = base64Decode(it->get_ref<const std::string&>());
    if (!raw.isOk())
      return Status(Code::kInvalidArgument, std::string("data.") + key + ": not base64");
    SecretString value(std::move(raw).value());
    out = tokenHash(value);
    kid = jwtKeyId(value.reveal());
    return Status::ok();
  };
  if (Status s = hashOf(kTokenKey, secret.tokenHash, secret.kid); !s.isOk()) return s;
  if (Status s = hashOf(kPreviousTokenKey, secret.previousTokenHash, secret.previousKid);
      !s.isOk()) {
    return s;
  }
  secret.hasExpiresAt = data->contains(kExpiresAtKey);
  return secret;
}

namespace {

void writeConditions(ctrl::JsonWriter& w, const std::vector<Condition>& conditions) {
  w.key("conditions").beginArray();
  for (const Condition& c : conditions) {
    w.beginObject()
        .member("type", c.type)
        .member("status", c.status)
        .member("reason", c.reason)
        .member("message", c.message)
        .member("observedGeneration", c.observedGeneration)
        .member("lastTransitionTime", c.lastTransitionTime)
        .endObject();
  }
  w.endArray();
}

}  // namespace

ctrl::StatusOr<ctrl::JsonText> statusPatch(const ServiceTokenStatus& s) {
  ctrl::JsonWriter w;
  w.beginObject().key("status").beginObject();
  w.memberOrNull("phase", s.phase)
      .member("observedGeneration", s.observedGeneration)
      .memberOrNull("serviceUserId", s.serviceUserId)
      .memberOrNull("secretName", s.secretName)
      .memberOrNull("expiration", s.expiration)
      .memberOrNull("tokenId", s.tokenId)
      .memberOrNull("tokenHash", s.tokenHash)
      .memberOrNull("issuedAt", s.issuedAt)
      .memberOrNull("expiresAt", s.expiresAt)
      .memberOrNull("renewalTime", s.renewalTime)
      .member("revision", s.revision)
      .memberOrNull("rotateRequest", s.rotateRequest)
      .memberOrNull("lastFailureTime", s.lastFailureTime);
  w.key("failedAttempts");
  if (s.failedAttempts == 0) {
    w.null();
  } else {
    w.integer(s.failedAttempts);
  }
  w.memberOrNull("lastFailureReason", s.lastFailureReason)
      .memberOrNull("lastFailureMessage", s.lastFailureMessage);
  w.key("automaticMints");
  if (s.automaticMints.empty()) {
    w.null();
  } else {
    w.beginArray();
    for (const std::string& at : s.automaticMints) w.string(at);
    w.endArray();
  }
  writeConditions(w, s.conditions);
  w.key("previousToken");
  if (s.previousToken) {
    w.beginObject()
        .member("tokenId", s.previousToken->tokenId)
        .member("tokenHash", s.previousToken->tokenHash)
        .memberOrNull("expiresAt", s.previousToken->expiresAt)
        .memberOrNull("retainedUntil", s.previousToken->retainedUntil)
        .endObject();
  } else {
    w.null();
  }
  w.endObject().endObject();
  return std::move(w).take();
}

ctrl::StatusOr<ctrl::JsonText> statusPatch(const ServiceUserStatus& s) {
  ctrl::JsonWriter w;
  w.beginObject().key("status").beginObject();
  w.memberOrNull("userId", s.userId).member("observedGeneration", s.observedGeneration);
  writeConditions(w, s.conditions);
  w.endObject().endObject();
  return std::move(w).take();
}

const ctrl::Resource& serviceTokenResource() {
  static const ctrl::Resource r{kGroup, kVersion, "servicetokens", "ServiceToken", true};
  return r;
}

const ctrl::Resource& serviceUserResource() {
  static const ctrl::Resource r{kGroup, kVersion, "serviceusers", "ServiceUser", true};
  return r;
}

}  // namespace st
