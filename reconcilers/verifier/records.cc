#include "verifier/records.h"

#include "controller/object_meta.h"

namespace st::verifier {
namespace {

using ctrl::Code;
using ctrl::Json;
using ctrl::Status;
using ctrl::StatusOr;

Status wrongType(const std::string& path, const char* want) {
  return Status(Code::kInvalidArgument, path + ": expected " + want);
}

// The member `key` of `object` when it is present and not null.
const Json* member(const Json* object, const char* key) {
  if (object == nullptr || !object->is_object()) return nullptr;
  auto it = object->find(key);
  return it == object->end() || it->is_null() ? nullptr : &*it;
}

// Reads optional fields of one object, remembering the first error.
class Reader {
 public:
  Reader(const Json* object, std::string path) : object_(object), path_(std::move(path)) {
    if (object_ != nullptr && !object_->is_null() && !object_->is_object()) {
      fail(wrongType(path_, "an object"));
      object_ = nullptr;
    }
  }
  const Json* find(const char* key) const { return member(object_, key); }
  void str(const char* key, std::string& out) {
    if (const Json* v = find(key)) {
      if (v->is_string()) {
        out = v->get_ref<const std::string&>();
      } else {
        fail(wrongType(path_ + "." + key, "a string"));
      }
    }
  }
  void boolean(const char* key, bool& out) {
    if (const Json* v = find(key)) {
      if (v->is_boolean()) {
        out = v->get<bool>();
      } else {
        fail(wrongType(path_ + "." + key, "a boolean"));
      }
    }
  }
  // A malformed time is an error; absent leaves `out` empty.
  void time(const char* key, std::optional<ctrl::WallTime>& out) {
    std::string text;
    str(key, text);
    if (text.empty()) return;
    auto t = ctrl::parseRfc3339(text);
    if (!t.isOk()) {
      fail(Status(Code::kInvalidArgument, path_ + "." + key + ": malformed timestamp"));
      return;
    }
    out = *t;
  }
  void fail(Status s) {
    if (status_.isOk()) status_ = std::move(s);
  }
  const Status& status() const { return status_; }

 private:
  const Json* object_;
  std::string path_;
  Status status_;
};

// The metadata fields the verifier reads.
struct Meta {
  std::string ns;
  std::string name;
  std::string uid;
  std::string resourceVersion;
  bool deleting = false;
};

StatusOr<Meta> readMeta(const Json& object) {
  if (!object.is_object()) return wrongType("object", "an object");
  const Json* metadata = member(&object, "metadata");
  if (metadata == nullptr) return wrongType("metadata", "an object");
  Reader m(metadata, "metadata");
  Meta out;
  m.str("name", out.name);
  m.str("namespace", out.ns);
  m.str("uid", out.uid);
  m.str("resourceVersion", out.resourceVersion);
  std::optional<ctrl::WallTime> deletion;
  m.time("deletionTimestamp", deletion);
  out.deleting = deletion.has_value();
  if (!m.status().isOk()) return m.status();
  if (out.name.empty()) return Status(Code::kInvalidArgument, "metadata.name: missing");
  return out;
}

}  // namespace

StatusOr<TokenRecord> decodeTokenRecord(const Json& object) {
  auto meta = readMeta(object);
  if (!meta.isOk()) return meta.status();
  TokenRecord t;
  t.ns = std::move(meta->ns);
  t.name = std::move(meta->name);
  t.uid = std::move(meta->uid);
  t.resourceVersion = std::move(meta->resourceVersion);
  t.deleting = meta->deleting;

  Reader spec(member(&object, "spec"), "spec");
  std::string type;
  spec.str("type", type);
  if (type == "Personal") {
    t.type = TokenType::kPersonal;
  } else if (type == "Service" || type.empty()) {
    t.type = TokenType::kService;
  } else {
    spec.fail(Status(Code::kInvalidArgument, "spec.type: must be Service or Personal"));
  }
  Reader ref(spec.find("serviceUserRef"), "spec.serviceUserRef");
  ref.str("name", t.serviceUserRef);
  spec.str("owner", t.owner);
  spec.boolean("revoked", t.revoked);
  if (!spec.status().isOk()) return spec.status();
  if (!ref.status().isOk()) return ref.status();

  Reader status(member(&object, "status"), "status");
  status.str("phase", t.phase);
  status.str("serviceUserId", t.serviceUserId);
  status.str("tokenId", t.tokenId);
  status.str("tokenHash", t.tokenHash);
  status.time("lastUsedTime", t.lastUsedTime);
  if (const Json* prev = status.find("previousToken")) {
    Reader p(prev, "status.previousToken");
    TokenRecord::Previous previous;
    p.str("tokenId", previous.tokenId);
    p.str("tokenHash", previous.tokenHash);
    std::string retained;
    p.str("retainedUntil", retained);
    if (!p.status().isOk()) return p.status();
    // A malformed retainedUntil only disables the previous token.
    if (auto until = ctrl::parseRfc3339(retained); until.isOk()) previous.retainedUntil = *until;
    t.previous = std::move(previous);
  }
  if (!status.status().isOk()) return status.status();
  return t;
}

StatusOr<UserRecord> decodeUserRecord(const Json& object) {
  auto meta = readMeta(object);
  if (!meta.isOk()) return meta.status();
  UserRecord u;
  u.ns = std::move(meta->ns);
  u.name = std::move(meta->name);
  u.uid = std::move(meta->uid);
  u.deleting = meta->deleting;

  Reader spec(member(&object, "spec"), "spec");
  spec.str("email", u.email);
  spec.str("role", u.role);
  if (const Json* teams = spec.find("teams")) {
    if (!teams->is_array()) return wrongType("spec.teams", "an array");
    for (const Json& team : *teams) {
      if (!team.is_string()) return wrongType("spec.teams", "strings");
      u.teams.push_back(team.get<std::string>());
    }
  }
  if (!spec.status().isOk()) return spec.status();
  Reader status(member(&object, "status"), "status");
  status.str("userId", u.userId);
  if (!status.status().isOk()) return status.status();
  return u;
}

StatusOr<JwksRecord> decodeJwksConfigMap(const Json& object) {
  const Json* data = member(&object, "data");
  const Json* text = member(data, "jwks.json");
  if (text == nullptr || !text->is_string()) {
    return Status(Code::kInvalidArgument, "data.jwks.json: missing or not a string");
  }
  auto jwks = Jwks::parse(text->get_ref<const std::string&>());
  if (!jwks.isOk()) return jwks.status().withContext("data.jwks.json");
  auto parsed = std::make_shared<const Jwks>(std::move(jwks).value());
  std::string document = parsed->toString();
  return JwksRecord{std::move(parsed), std::move(document)};
}

std::vector<std::string> tokenIdIndex(const TokenRecord& token) {
  std::vector<std::string> ids;
  if (!token.tokenId.empty()) ids.push_back(token.tokenId);
  if (token.previous && !token.previous->tokenId.empty() &&
      token.previous->tokenId != token.tokenId) {
    ids.push_back(token.previous->tokenId);
  }
  return ids;
}

}  // namespace st::verifier
