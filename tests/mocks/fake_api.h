// An in-memory ctrl::Client for unit tests of reconcilers: objects keyed by
// resource, namespace and name, with the API server's compare-and-swap rules
// (create-if-absent, resourceVersion and UID preconditions), JSON merge patch
// (the status subresource touches only status), counted writes and injectable
// faults. It is a fake for unit tests only: integration tests use the real
// kube-apiserver. Watches are not supported (tests feed the stores directly).
// CallOptions::response is honoured (kMetadata: apiVersion, kind and metadata
// of the answer only), so code that asks for less than it reads fails here.
#pragma once

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

#include "controller/client.h"
#include "mocks/metadata_only.h"

namespace sttest {

class FakeApi final : public ctrl::Client {
 public:
  // Called before every write; a non-OK status fails the write without
  // effect. Arguments: verb (create, update, patch, delete), plural, subresource.
  using Fault = std::function<ctrl::Status(const std::string& verb, const std::string& plural,
                                           const std::string& subresource)>;
  void setFault(Fault f) {
    std::lock_guard lock(mu_);
    fault_ = std::move(f);
  }

  // Stores an object as the server would (assigns uid and resourceVersion
  // when missing). Returns the stored object.
  ctrl::Json put(const ctrl::Resource& r, ctrl::Json object) {
    std::lock_guard lock(mu_);
    return store(r, std::move(object));
  }
  // The stored object, or null.
  ctrl::Json object(const ctrl::Resource& r, std::string_view ns, std::string_view name) const {
    std::lock_guard lock(mu_);
    auto it = objects_.find(key(r, ns, name));
    return it == objects_.end() ? ctrl::Json(nullptr) : it->second;
  }
  void erase(const ctrl::Resource& r, std::string_view ns, std::string_view name) {
    std::lock_guard lock(mu_);
    objects_.erase(key(r, ns, name));
  }
  // Writes so far, e.g. count("create", "secrets"), count("patch", "servicetokens", "status").
  int count(const std::string& verb, const std::string& plural, const std::string& sub = "") const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(verb + " " + plural + "/" + sub);
    return it == counts_.end() ? 0 : it->second;
  }
  // Of those, the ones whose caller asked for the answer's metadata only
  // (CallOptions::response).
  int countMetadataOnly(const std::string& verb, const std::string& plural,
                        const std::string& sub = "") const {
    std::lock_guard lock(mu_);
    auto it = metadataOnlyCounts_.find(verb + " " + plural + "/" + sub);
    return it == metadataOnlyCounts_.end() ? 0 : it->second;
  }
  int reads() const {
    std::lock_guard lock(mu_);
    return reads_;
  }

  ctrl::StatusOr<ctrl::Json> get(const ctrl::Resource& r, std::string_view ns,
                                 std::string_view name, const ctrl::CallOptions& c = {}) override {
    std::lock_guard lock(mu_);
    ++reads_;
    auto it = objects_.find(key(r, ns, name));
    if (it == objects_.end()) return notFound(r, name);
    return shaped(it->second, c);
  }
  ctrl::StatusOr<ctrl::ListPage> list(const ctrl::Resource& r, std::string_view ns,
                                      const ctrl::ListOptions&,
                                      const ctrl::CallOptions& = {}) override {
    std::lock_guard lock(mu_);
    ++reads_;
    ctrl::ListPage page;
    page.items = std::make_unique<ctrl::Json>(ctrl::Json::array());
    const std::string prefix = r.plural + "/" + std::string(ns) + "/";
    for (const auto& [k, v] : objects_) {
      if (k.rfind(prefix, 0) == 0) page.items->push_back(v);
    }
    page.resourceVersion = std::to_string(version_);
    return page;
  }
  ctrl::Status watch(const ctrl::Resource&, std::string_view, const ctrl::WatchOptions&,
                     const ctrl::WatchHandler&, std::stop_token) override {
    return ctrl::Status(ctrl::Code::kUnavailable, "FakeApi does not watch");
  }
  ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& = {},
                                    const ctrl::CallOptions& c = {}) override {
    std::lock_guard lock(mu_);
    if (auto s = write("create", r.plural, "", c); !s.isOk()) return s;
    const std::string name = object["metadata"].value("name", "");
    if (objects_.contains(key(r, ns, name))) {
      return ctrl::Status(ctrl::Code::kAlreadyExists,
                          r.plural + " \"" + name + "\" already exists");
    }
    ctrl::Json o = object;
    o["metadata"]["namespace"] = std::string(ns);
    o["metadata"].erase("resourceVersion");
    o["metadata"].erase("uid");
    return shaped(store(r, std::move(o)), c);
  }
  ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource&, std::string_view,
                                               std::string_view, std::string_view,
                                               const ctrl::Json&,
                                               const ctrl::CallOptions& = {}) override {
    return ctrl::Status(ctrl::Code::kInternal, "FakeApi has no subresources to create");
  }
  ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& = {},
                                    const ctrl::CallOptions& c = {}) override {
    std::lock_guard lock(mu_);
    if (auto s = write("update", r.plural, "", c); !s.isOk()) return s;
    const std::string name = object["metadata"].value("name", "");
    auto it = objects_.find(key(r, ns, name));
    if (it == objects_.end()) return notFound(r, name);
    const std::string rv = object["metadata"].value("resourceVersion", "");
    if (!rv.empty() && rv != it->second["metadata"].value("resourceVersion", "")) {
      return conflict(r, name);
    }
    ctrl::Json o = object;
    o["metadata"]["uid"] = it->second["metadata"]["uid"];
    return shaped(store(r, std::move(o)), c);
  }
  ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource& r, std::string_view ns,
                                          const ctrl::Json& object,
                                          const ctrl::CallOptions& c = {}) override {
    return update(r, ns, object, {}, c);
  }
  ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource& r, std::string_view ns,
                                   std::string_view name, ctrl::PatchType type,
                                   const ctrl::Json& patch, const ctrl::PatchOptions& options = {},
                                   const ctrl::CallOptions& c = {}) override {
    std::lock_guard lock(mu_);
    if (auto s = write("patch", r.plural, options.subresource, c); !s.isOk()) return s;
    if (type != ctrl::PatchType::kMerge) {
      return ctrl::Status(ctrl::Code::kInvalidArgument, "FakeApi supports merge patches only");
    }
    auto it = objects_.find(key(r, ns, name));
    if (it == objects_.end()) return notFound(r, name);
    if (patch.contains("metadata") && patch["metadata"].contains("resourceVersion") &&
        patch["metadata"]["resourceVersion"] != it->second["metadata"]["resourceVersion"]) {
      return conflict(r, name);
    }
    ctrl::Json o = it->second;
    if (options.subresource == "status") {
      if (patch.contains("status")) o["status"].merge_patch(patch["status"]);
    } else {
      ctrl::Json p = patch;
      if (p.contains("metadata")) p["metadata"].erase("resourceVersion");
      p.erase("status");
      o.merge_patch(p);
    }
    return shaped(store(r, std::move(o)), c);
  }
  ctrl::Status remove(const ctrl::Resource& r, std::string_view ns, std::string_view name,
                      const ctrl::DeleteOptions& options = {},
                      const ctrl::CallOptions& = {}) override {
    std::lock_guard lock(mu_);
    if (auto s = write("delete", r.plural, ""); !s.isOk()) return s;
    auto it = objects_.find(key(r, ns, name));
    if (it == objects_.end()) return notFound(r, name);
    if (options.preconditionUid &&
        *options.preconditionUid != it->second["metadata"].value("uid", "")) {
      return conflict(r, std::string(name));
    }
    objects_.erase(it);
    return ctrl::Status::ok();
  }

 private:
  static ctrl::Json shaped(ctrl::Json answer, const ctrl::CallOptions& c) {
    if (c.response == ctrl::ResponseShape::kMetadata) keepTypeAndMetadata(answer);
    return answer;
  }
  static std::string key(const ctrl::Resource& r, std::string_view ns, std::string_view name) {
    return r.plural + "/" + std::string(ns) + "/" + std::string(name);
  }
  static ctrl::Status notFound(const ctrl::Resource& r, std::string_view name) {
    return ctrl::Status(ctrl::Code::kNotFound,
                        r.plural + " \"" + std::string(name) + "\" not found");
  }
  static ctrl::Status conflict(const ctrl::Resource& r, std::string_view name) {
    return ctrl::Status(
        ctrl::Code::kConflict,
        "the object " + r.plural + " \"" + std::string(name) +
            "\" has been modified; please apply your changes to the latest version");
  }
  ctrl::Status write(const std::string& verb, const std::string& plural, const std::string& sub,
                     const ctrl::CallOptions& c = {}) {
    if (fault_) {
      if (ctrl::Status s = fault_(verb, plural, sub); !s.isOk()) return s;
    }
    ++counts_[verb + " " + plural + "/" + sub];
    if (c.response == ctrl::ResponseShape::kMetadata) {
      ++metadataOnlyCounts_[verb + " " + plural + "/" + sub];
    }
    return ctrl::Status::ok();
  }
  ctrl::Json store(const ctrl::Resource& r, ctrl::Json o) {
    ctrl::Json& m = o["metadata"];
    if (!m.contains("uid")) m["uid"] = "uid-" + std::to_string(++uids_);
    if (!m.contains("generation")) m["generation"] = 1;
    if (!m.contains("creationTimestamp")) m["creationTimestamp"] = "2026-01-01T00:00:00Z";
    m["resourceVersion"] = std::to_string(++version_);
    objects_[key(r, m.value("namespace", ""), m.value("name", ""))] = o;
    return o;
  }

  mutable std::mutex mu_;
  std::map<std::string, ctrl::Json> objects_;
  std::map<std::string, int> counts_;
  std::map<std::string, int> metadataOnlyCounts_;
  Fault fault_;
  int64_t version_ = 100;
  int uids_ = 0;
  int reads_ = 0;
};

}  // namespace sttest
