// An in-memory ctrl::Client for unit tests of the leader elector and the
// event recorder: objects keyed by resource/namespace/name, a global
// resourceVersion counter, and the API's write preconditions (create is
// compare-and-swap on the name, update on metadata.resourceVersion). A test
// can inject failures or block calls through an interceptor. Not a general
// API server: no watch, no selectors, no validation.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "controller/client.h"
#include "mocks/metadata_only.h"

namespace sttest {

class FakeLeaseClient final : public ctrl::Client {
 public:
  // Called before every request with its verb ("get", "create", "update",
  // "patch", "delete", "list") and target; a non-OK result fails the request
  // with it. May block (to simulate a hung connection). Thread-safe.
  using Interceptor = std::function<ctrl::Status(
      std::string_view verb, const ctrl::Resource& resource, std::string_view name)>;

  FakeLeaseClient() = default;
  FakeLeaseClient(const FakeLeaseClient&) = delete;
  FakeLeaseClient& operator=(const FakeLeaseClient&) = delete;

  void setInterceptor(Interceptor interceptor) {
    std::lock_guard lock(mu_);
    interceptor_ = std::move(interceptor);
  }

  // The stored object, or nullopt.
  std::optional<ctrl::Json> object(const ctrl::Resource& resource, std::string_view ns,
                                   std::string_view name) const {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key(resource, ns, name));
    if (it == objects_.end()) return std::nullopt;
    return it->second;
  }

  // Every stored object of `resource` in `ns`.
  std::vector<ctrl::Json> objects(const ctrl::Resource& resource, std::string_view ns) const {
    std::lock_guard lock(mu_);
    std::vector<ctrl::Json> out;
    for (const auto& [k, v] : objects_) {
      if (std::get<0>(k) == resource.plural && std::get<1>(k) == ns) out.push_back(v);
    }
    return out;
  }

  // Writes `object` directly (as another client would), bumping its
  // resourceVersion. Returns the stored object.
  ctrl::Json put(const ctrl::Resource& resource, std::string_view ns, ctrl::Json object) {
    std::lock_guard lock(mu_);
    return storeLocked(resource, ns, std::move(object));
  }

  // Creates, updates and patches whose caller asked for the answer's metadata only
  // (CallOptions::response); they are answered with just that.
  int metadataOnlyAnswers() const {
    std::lock_guard lock(mu_);
    return metadataOnlyAnswers_;
  }

  // Requests by verb so far (including failed ones).
  int calls(const std::string& verb) const {
    std::lock_guard lock(mu_);
    auto it = calls_.find(verb);
    return it == calls_.end() ? 0 : it->second;
  }

  ctrl::StatusOr<ctrl::Json> get(const ctrl::Resource& resource, std::string_view ns,
                                 std::string_view name, const ctrl::CallOptions& = {}) override {
    if (auto s = intercept("get", resource, name); !s.isOk()) return s;
    std::lock_guard lock(mu_);
    auto it = objects_.find(key(resource, ns, name));
    if (it == objects_.end()) return notFound(resource, name);
    return it->second;
  }

  ctrl::StatusOr<ctrl::ListPage> list(const ctrl::Resource& resource, std::string_view ns,
                                      const ctrl::ListOptions& /*options*/,
                                      const ctrl::CallOptions& = {}) override {
    if (auto s = intercept("list", resource, ""); !s.isOk()) return s;
    ctrl::ListPage page;
    page.items = std::make_unique<ctrl::Json>(ctrl::Json::array());
    for (auto& o : objects(resource, ns)) page.items->push_back(std::move(o));
    std::lock_guard lock(mu_);
    page.resourceVersion = std::to_string(version_);
    return page;
  }

  ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource& resource, std::string_view ns,
                                    const ctrl::Json& object,
                                    const ctrl::WriteOptions& /*options*/ = {},
                                    const ctrl::CallOptions& call = {}) override {
    std::string name = metaField(object, "name");
    if (auto s = intercept("create", resource, name); !s.isOk()) return s;
    std::lock_guard lock(mu_);
    if (name.empty()) return ctrl::errorStatus(ctrl::Code::kInvalid, "metadata.name: Required");
    if (objects_.count(key(resource, ns, name))) {
      return ctrl::errorStatus(ctrl::Code::kAlreadyExists,
                               resource.plural + " \"" + name + "\" already exists");
    }
    ctrl::Json stored = object;
    stored["metadata"]["uid"] = "uid-" + std::to_string(version_ + 1);
    return answerLocked(storeLocked(resource, ns, std::move(stored)), call);
  }

  ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource& /*resource*/,
                                               std::string_view /*ns*/, std::string_view /*name*/,
                                               std::string_view /*subresource*/,
                                               const ctrl::Json& /*body*/,
                                               const ctrl::CallOptions& = {}) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "fake: createSubresource not supported");
  }

  ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource& resource, std::string_view ns,
                                    const ctrl::Json& object,
                                    const ctrl::WriteOptions& /*options*/ = {},
                                    const ctrl::CallOptions& call = {}) override {
    std::string name = metaField(object, "name");
    if (auto s = intercept("update", resource, name); !s.isOk()) return s;
    std::lock_guard lock(mu_);
    auto it = objects_.find(key(resource, ns, name));
    if (it == objects_.end()) return notFound(resource, name);
    std::string want = metaField(object, "resourceVersion");
    if (!want.empty() && want != metaField(it->second, "resourceVersion")) {
      return ctrl::errorStatus(ctrl::Code::kConflict, "Operation cannot be fulfilled on " +
                                                          resource.plural + " \"" + name +
                                                          "\": the object has been modified");
    }
    return answerLocked(storeLocked(resource, ns, object), call);
  }

  ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource& resource, std::string_view ns,
                                          const ctrl::Json& object,
                                          const ctrl::CallOptions& = {}) override {
    return update(resource, ns, object);
  }

  // Merge patches only (RFC 7386).
  ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource& resource, std::string_view ns,
                                   std::string_view name, ctrl::PatchType type,
                                   const ctrl::Json& patch,
                                   const ctrl::PatchOptions& /*options*/ = {},
                                   const ctrl::CallOptions& call = {}) override {
    if (auto s = intercept("patch", resource, name); !s.isOk()) return s;
    if (type != ctrl::PatchType::kMerge) {
      return ctrl::errorStatus(ctrl::Code::kInternal, "fake: only merge patches");
    }
    std::lock_guard lock(mu_);
    auto it = objects_.find(key(resource, ns, name));
    if (it == objects_.end()) return notFound(resource, name);
    ctrl::Json merged = it->second;
    merged.merge_patch(patch);
    return answerLocked(storeLocked(resource, ns, std::move(merged)), call);
  }

  ctrl::Status remove(const ctrl::Resource& resource, std::string_view ns, std::string_view name,
                      const ctrl::DeleteOptions& /*options*/ = {},
                      const ctrl::CallOptions& = {}) override {
    if (auto s = intercept("delete", resource, name); !s.isOk()) return s;
    std::lock_guard lock(mu_);
    if (objects_.erase(key(resource, ns, name)) == 0) return notFound(resource, name).status();
    return ctrl::Status::ok();
  }

  ctrl::Status watch(const ctrl::Resource& /*resource*/, std::string_view /*ns*/,
                     const ctrl::WatchOptions& /*options*/, const ctrl::WatchHandler& /*handler*/,
                     std::stop_token /*stop*/) override {
    return ctrl::errorStatus(ctrl::Code::kInternal, "fake: watch not supported");
  }

 private:
  using Key = std::tuple<std::string, std::string, std::string>;
  static Key key(const ctrl::Resource& resource, std::string_view ns, std::string_view name) {
    return {resource.plural, std::string(ns), std::string(name)};
  }
  static std::string metaField(const ctrl::Json& object, const char* field) {
    auto meta = object.find("metadata");
    if (meta == object.end() || !meta->is_object()) return "";
    return meta->value(field, "");
  }
  static ctrl::StatusOr<ctrl::Json> notFound(const ctrl::Resource& resource,
                                             std::string_view name) {
    return ctrl::errorStatus(ctrl::Code::kNotFound,
                             resource.plural + " \"" + std::string(name) + "\" not found");
  }

  ctrl::Status intercept(const std::string& verb, const ctrl::Resource& resource,
                         std::string_view name) {
    Interceptor interceptor;
    {
      std::lock_guard lock(mu_);
      ++calls_[verb];
      interceptor = interceptor_;
    }
    return interceptor ? interceptor(verb, resource, name) : ctrl::Status::ok();
  }

  ctrl::Json storeLocked(const ctrl::Resource& resource, std::string_view ns, ctrl::Json object) {
    object["metadata"]["resourceVersion"] = std::to_string(++version_);
    if (!ns.empty()) object["metadata"]["namespace"] = std::string(ns);
    std::string name = metaField(object, "name");
    objects_[key(resource, ns, name)] = object;
    return object;
  }

  ctrl::Json answerLocked(ctrl::Json stored, const ctrl::CallOptions& call) {
    if (call.response == ctrl::ResponseShape::kMetadata) {
      ++metadataOnlyAnswers_;
      keepTypeAndMetadata(stored);
    }
    return stored;
  }

  mutable std::mutex mu_;
  int metadataOnlyAnswers_ = 0;
  std::map<Key, ctrl::Json> objects_;
  std::map<std::string, int> calls_;
  int64_t version_ = 0;
  Interceptor interceptor_;
};

}  // namespace sttest
