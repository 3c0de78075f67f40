#include "servicetoken/issuer.h"

#include <algorithm>

#include "api/base64.h"
#include "api/codec.h"
#include "controller/object_meta.h"
#include "controller/resource.h"
#include "policy/schedule.h"
#include "servicetoken/secret_builder.h"

namespace st {
namespace {

using ctrl::Code;
using Kind = IssueOutcome::Kind;

IssueOutcome outcome(Kind kind, ctrl::Status error = {}) {
  IssueOutcome o;
  o.kind = kind;
  o.error = std::move(error);
  return o;
}

std::string rotateRequest(const ServiceToken& token) {
  return std::string(token.meta.annotations.get(kRotateAnnotation));
}

// The outcome of a successful write; `stored` is the Secret as the server
// stored it, null when its answer could not be read.
IssueOutcome written(std::shared_ptr<const TokenSecret> stored, IssuedToken minted,
                     int64_t revision, bool keptPrevious) {
  IssueOutcome o = outcome(Kind::kWritten);
  o.secret = std::move(stored);
  o.minted = std::move(minted);
  o.revision = revision;
  o.keptPrevious = keptPrevious;
  return o;
}

SecretContent contentFor(const IssueRequest& r, const IssuedToken& minted, int64_t revision) {
  SecretContent content;
  content.token = r.token;
  content.minted = &minted;
  content.subject = r.subject;
  content.serviceUserUid = r.serviceUserUid;
  content.revision = revision;
  content.specHash = r.specHash;
  content.rotateRequest = rotateRequest(*r.token);
  return content;
}

}  // namespace

ctrl::StatusOr<IssuedToken> Issuer::mint(const IssueRequest& r) {
  MintRequest m;
  m.type = r.token->spec.type;
  m.subject = r.subject;
  m.name = r.token->spec.displayName;
  m.email = r.email;
  m.scim = r.token->spec.scimAdministration;
  m.lifetime = r.lifetime.duration;
  m.now = r.now;
  return authority_.mint(m);
}

IssueOutcome Issuer::issue(const IssueRequest& r) {
  int64_t revision = r.token->status.revision;
  if (r.cachedSecret != nullptr) {
    revision = std::max(revision, readIssuedState(*r.cachedSecret).revision);
  }
  ++revision;
  return r.cachedSecret == nullptr ? create(r, revision) : replace(r, revision);
}

IssueOutcome Issuer::create(const IssueRequest& r, int64_t revision) {
  const ServiceToken& token = *r.token;
  auto minted = mint(r);
  if (!minted.isOk()) return outcome(Kind::kFailed, minted.status().withContext("minting failed"));
  SecretContent content = contentFor(r, minted.value(), revision);
  auto body = newTokenSecret(content);
  if (!body.isOk()) {
    return outcome(Kind::kFailed, body.status().withContext("writing the Secret failed"));
  }
  // The API stores a Secret's type and data as sent: only the answer's
  // metadata (uid, resourceVersion, ...) is news, so only that is built.
  // (Were a mutating webhook to rewrite the data, the reconciler would see
  // that from the cache, which replaces this view as soon as it holds the
  // Secret; until then it sees what we sent.)
  auto created = client_.createText(ctrl::resources::secret(), token.meta.namespace_,
                                    std::move(body).value(), {}, ctrl::metadataOnlyAnswer());
  if (created.isOk()) {
    // What the API stored: what we sent, with the metadata it answered (an
    // answer without metadata leaves no view of the Secret).
    std::shared_ptr<const TokenSecret> stored;
    auto meta = created->find("metadata");  // end() for a non-object too
    if (meta != created->end()) {
      auto answered = decodeMetadata(*meta);
      if (answered.isOk()) {
        stored = std::make_shared<const TokenSecret>(
            writtenTokenSecret(content, std::move(answered).value()));
      }
    }
    return written(std::move(stored), std::move(minted).value(), revision, false);
  }
  if (created.status().code() != Code::kAlreadyExists) {
    return outcome(Kind::kFailed, created.status().withContext("creating the Secret failed"));
  }
  // The name is taken: by us (the cache is behind) or by someone else.
  auto live = client_.get(ctrl::resources::secret(), token.meta.namespace_, token.secretName());
  if (!live.isOk()) return outcome(Kind::kLost);
  auto decoded = decodeTokenSecret(*live);
  if (decoded.isOk() && ownedBy(*decoded, token)) return outcome(Kind::kLost);
  return outcome(Kind::kNotOwned);
}

IssueOutcome Issuer::replace(const IssueRequest& r, int64_t revision) {
  const ServiceToken& token = *r.token;
  auto live = client_.get(ctrl::resources::secret(), token.meta.namespace_, token.secretName());
  if (!live.isOk()) {
    if (live.status().code() == Code::kNotFound) return outcome(Kind::kLost);
    return outcome(Kind::kFailed, live.status().withContext("reading the Secret failed"));
  }
  const std::string liveVersion =
      live->contains("metadata") ? (*live)["metadata"].value("resourceVersion", "") : "";
  // The decision was made on the cached version; act only on that version.
  if (liveVersion != r.cachedSecret->meta.resourceVersion) return outcome(Kind::kLost);

  const IssuedState current = readIssuedState(*r.cachedSecret);
  std::optional<PreviousValue> previous;
  // Rotations keep the replaced token for a grace period; a token that was
  // deleted, moved or tampered with is treated as revoked and not kept.
  if (keepsPreviousToken(r.trigger.reason) && current.valueMatches &&
      (!current.expiresAt || *current.expiresAt > r.now)) {
    const ctrl::Json& data = (*live)["data"];
    if (data.is_object() && data.contains(kTokenKey) && data[kTokenKey].is_string()) {
      auto value = base64Decode(data[kTokenKey].get_ref<const std::string&>());
      if (value.isOk()) {
        PreviousValue p{SecretString(std::move(value).value()), {}};
        p.meta.tokenId = current.tokenId;
        p.meta.tokenHash = current.tokenHash;
        p.meta.expiresAt = current.expiresAt ? ctrl::formatRfc3339(*current.expiresAt) : "";
        p.meta.retainedUntil =
            ctrl::formatRfc3339(retainedUntil(r.now, r.rotation.gracePeriod, current.expiresAt));
        previous = std::move(p);
      }
    }
  }

  auto minted = mint(r);
  if (!minted.isOk()) return outcome(Kind::kFailed, minted.status().withContext("minting failed"));
  SecretContent content = contentFor(r, minted.value(), revision);
  const bool keptPrevious = previous.has_value();
  content.previous = std::move(previous);
  ctrl::Json body = buildTokenSecret(content, &live.value());
  auto updated = client_.update(ctrl::resources::secret(), token.meta.namespace_, body);
  if (!updated.isOk()) {
    if (updated.status().code() == Code::kConflict || updated.status().code() == Code::kNotFound) {
      return outcome(Kind::kLost);
    }
    return outcome(Kind::kFailed, updated.status().withContext("updating the Secret failed"));
  }
  auto decoded = decodeTokenSecret(*updated);
  return written(
      decoded.isOk() ? std::make_shared<const TokenSecret>(std::move(decoded).value()) : nullptr,
      std::move(minted).value(), revision, keptPrevious);
}

}  // namespace st
