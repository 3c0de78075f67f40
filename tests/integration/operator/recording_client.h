// A ctrl::Client decorator for integration tests: forwards to the real
// client, counts writes by verb and resource, and can inject failures
// (e.g. "the status write fails" to model a crash between the Secret write
// and the status write). Test-only.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "controller/client.h"

namespace sttest {

class RecordingClient final : public ctrl::Client {
 public:
  explicit RecordingClient(ctrl::Client& inner) : inner_(inner) {}

  // Returns a non-OK status to fail the call instead of forwarding it.
  // Arguments: verb ("create", "update", "patch", "delete"), plural, subresource.
  using Fault = std::function<ctrl::Status(const std::string& verb, const std::string& plural,
                                           const std::string& subresource)>;
  void setFault(Fault fault) {
    std::lock_guard lock(mu_);
    fault_ = std::move(fault);
  }

  // Writes counted since construction or reset(), e.g. count("create", "secrets").
  int count(const std::string& verb, const std::string& plural,
            const std::string& subresource = "") const {
    std::lock_guard lock(mu_);
    auto it = counts_.find(verb + " " + plural + "/" + subresource);
    return it == counts_.end() ? 0 : it->second;
  }
  // Writes other than events (the event recorder is not the reconciler).
  int writesExcludingEvents() const {
    std::lock_guard lock(mu_);
    int n = 0;
    for (const auto& [k, v] : counts_) {
      if (k.find(" events/") == std::string::npos) n += v;
    }
    return n;
  }
  std::map<std::string, int> counts() const {
    std::lock_guard lock(mu_);
    return counts_;
  }
  void reset() {
    std::lock_guard lock(mu_);
    counts_.clear();
  }

  ctrl::StatusOr<ctrl::Json> get(const ctrl::Resource& r, std::string_view ns,
                                 std::string_view name, const ctrl::CallOptions& c = {}) override {
    return inner_.get(r, ns, name, c);
  }
  ctrl::StatusOr<ctrl::ListPage> list(const ctrl::Resource& r, std::string_view ns,
                                      const ctrl::ListOptions& o,
                                      const ctrl::CallOptions& c = {}) override {
    return inner_.list(r, ns, o, c);
  }
  ctrl::Status watch(const ctrl::Resource& r, std::string_view ns, const ctrl::WatchOptions& o,
                     const ctrl::WatchHandler& h, std::stop_token stop) override {
    return inner_.watch(r, ns, o, h, stop);
  }
  ctrl::StatusOr<ctrl::Json> create(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& o = {},
                                    const ctrl::CallOptions& c = {}) override {
    if (auto s = record("create", r.plural, ""); !s.isOk()) return s;
    return inner_.create(r, ns, object, o, c);
  }
  ctrl::StatusOr<ctrl::Json> createSubresource(const ctrl::Resource& r, std::string_view ns,
                                               std::string_view name, std::string_view sub,
                                               const ctrl::Json& body,
                                               const ctrl::CallOptions& c = {}) override {
    if (auto s = record("create", r.plural, std::string(sub)); !s.isOk()) return s;
    return inner_.createSubresource(r, ns, name, sub, body, c);
  }
  ctrl::StatusOr<ctrl::Json> update(const ctrl::Resource& r, std::string_view ns,
                                    const ctrl::Json& object, const ctrl::WriteOptions& o = {},
                                    const ctrl::CallOptions& c = {}) override {
    if (auto s = record("update", r.plural, ""); !s.isOk()) return s;
    return inner_.update(r, ns, object, o, c);
  }
  ctrl::StatusOr<ctrl::Json> updateStatus(const ctrl::Resource& r, std::string_view ns,
                                          const ctrl::Json& object,
                                          const ctrl::CallOptions& c = {}) override {
    if (auto s = record("update", r.plural, "status"); !s.isOk()) return s;
    return inner_.updateStatus(r, ns, object, c);
  }
  ctrl::StatusOr<ctrl::Json> patch(const ctrl::Resource& r, std::string_view ns,
                                   std::string_view name, ctrl::PatchType type, const ctrl::Json& p,
                                   const ctrl::PatchOptions& o = {},
                                   const ctrl::CallOptions& c = {}) override {
    if (auto s = record("patch", r.plural, o.subresource); !s.isOk()) return s;
    return inner_.patch(r, ns, name, type, p, o, c);
  }
  ctrl::Status remove(const ctrl::Resource& r, std::string_view ns, std::string_view name,
                      const ctrl::DeleteOptions& o = {}, const ctrl::CallOptions& c = {}) override {
    if (auto s = record("delete", r.plural, ""); !s.isOk()) return s;
    return inner_.remove(r, ns, name, o, c);
  }

 private:
  ctrl::Status record(const std::string& verb, const std::string& plural, const std::string& sub) {
    std::lock_guard lock(mu_);
    if (fault_) {
      if (ctrl::Status s = fault_(verb, plural, sub); !s.isOk()) return s;
    }
    counts_[verb + " " + plural + "/" + sub]++;
    return ctrl::Status::ok();
  }

  ctrl::Client& inner_;
  mutable std::mutex mu_;
  Fault fault_;
  std::map<std::string, int> counts_;
};

}  // namespace sttest
