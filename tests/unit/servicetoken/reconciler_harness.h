// The ServiceToken reconciler over in-memory parts: a FakeApi for the server,
// stores the test fills from it (sync() plays the informers catching up, at
// the moment the test chooses), a FakeClock, the built-in authority with a
// fresh key, and recorders for events. Deterministic: nothing runs unless the
// test calls it. Test-only.
#pragma once

#include <gtest/gtest.h>
#include <prometheus/registry.h>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "api/codec.h"
#include "api/types.h"
#include "authority/builtin_authority.h"
#include "controller/event_recorder.h"
#include "controller/store.h"
#include "fake_clock.h"
#include "mocks/fake_api.h"
#include "servicetoken/reconciler.h"
#include "servicetoken/token_metrics.h"
#include "token/key_store.h"

namespace sttest {

class RecordedEvents final : public ctrl::EventRecorder {
 public:
  void event(const ctrl::ObjectRef& regarding, ctrl::EventType, std::string_view reason,
             std::string_view, std::string_view note) override {
    std::lock_guard lock(mu_);
    events_.push_back({regarding.name, std::string(reason), std::string(note)});
  }
  std::vector<std::string> reasons(const std::string& name) const {
    std::lock_guard lock(mu_);
    std::vector<std::string> out;
    for (const auto& e : events_) {
      if (e.name == name) out.push_back(e.reason);
    }
    return out;
  }
  std::string note(const std::string& name, const std::string& reason) const {
    std::lock_guard lock(mu_);
    for (const auto& e : events_) {
      if (e.name == name && e.reason == reason) return e.note;
    }
    return "";
  }

 private:
  struct Event {
    std::string name, reason, note;
  };
  mutable std::mutex mu_;
  std::vector<Event> events_;
};

class ReconcilerHarness {
 public:
  static constexpr const char* kNs = "default";

  ReconcilerHarness() {
    EXPECT_TRUE(tokens_.addIndex(st::kByServiceUserIndex, st::serviceUserIndex).isOk());
    EXPECT_TRUE(tokens_.addIndex(st::kByDisplayNameIndex, st::displayNameIndex).isOk());
    auto ring = st::SigningKeyRing::generate(st::KeyAlgorithm::kEd25519);
    EXPECT_TRUE(ring.isOk());
    authority_ =
        std::make_unique<st::BuiltinAuthority>(std::move(ring).value(), st::AuthorityOptions{});
    makeReconciler();
  }

  // A new reconciler over the same server and caches: a process restart.
  void makeReconciler() {
    st::ServiceTokenReconcilerDeps deps;
    deps.tokens = &tokens_;
    deps.secrets = &secrets_;
    deps.users = &users_;
    deps.client = &api_;
    deps.authority = authority_.get();
    deps.events = &events_;
    deps.clock = &clock_;
    deps.metrics = &metrics_;
    reconciler_ = std::make_unique<st::ServiceTokenReconciler>(deps);
  }

  FakeApi& api() { return api_; }
  FakeClock& clock() { return clock_; }
  RecordedEvents& events() { return events_; }
  st::BuiltinAuthority& authority() { return *authority_; }
  prometheus::Registry& registry() { return registry_; }

  // A Ready ServiceUser as the ServiceUser reconciler would leave it.
  void putUser(const std::string& name, const std::string& displayName, const std::string& userId) {
    ctrl::Json u = {{"apiVersion", st::kApiVersion},
                    {"kind", "ServiceUser"},
                    {"metadata", {{"name", name}, {"namespace", kNs}}},
                    {"spec", {{"displayName", displayName}}},
                    {"status",
                     {{"userId", userId},
                      {"observedGeneration", 1},
                      {"conditions",
                       {{{"type", "Ready"},
                         {"status", "True"},
                         {"reason", "UserIdAssigned"},
                         {"message", "ok"},
                         {"observedGeneration", 1},
                         {"lastTransitionTime", "2026-01-01T00:00:00Z"}}}}}}};
    api_.put(st::serviceUserResource(), u);
  }

  // A ServiceToken of type Service; `spec` entries override the defaults.
  ctrl::Json putToken(const std::string& name, const std::string& user,
                      const std::string& displayName, const ctrl::Json& spec = ctrl::Json::object(),
                      const std::string& created = "2026-01-01T00:00:00Z") {
    ctrl::Json t = {
        {"apiVersion", st::kApiVersion},
        {"kind", "ServiceToken"},
        {"metadata", {{"name", name}, {"namespace", kNs}, {"creationTimestamp", created}}},
        {"spec",
         {{"displayName", displayName},
          {"type", "Service"},
          {"serviceUserRef", {{"name", user}}},
          {"expiration", "30d"}}}};
    if (spec.is_object()) t["spec"].merge_patch(spec);  // a braced {} arrives as null
    return api_.put(st::serviceTokenResource(), t);
  }

  // Changes a token's spec as `kubectl apply` would (a new generation).
  void editSpec(const std::string& name, const ctrl::Json& spec) {
    ctrl::Json t = api_.object(st::serviceTokenResource(), kNs, name);
    t["spec"].merge_patch(spec);
    t["metadata"]["generation"] = t["metadata"].value("generation", 1) + 1;
    api_.put(st::serviceTokenResource(), t);
  }

  // The informers catch up: every store mirrors the server.
  void sync() {
    syncStore<st::ServiceToken>(tokens_, st::serviceTokenResource(), st::decodeServiceToken);
    syncStore<st::ServiceUser>(users_, st::serviceUserResource(), st::decodeServiceUser);
    syncStore<st::TokenSecret>(secrets_, ctrl::resources::secret(), st::decodeTokenSecret,
                               /*labelledOnly=*/true);
  }
  // Only the ServiceToken store catches up (the Secret informer lags).
  void syncTokensOnly() {
    syncStore<st::ServiceToken>(tokens_, st::serviceTokenResource(), st::decodeServiceToken);
  }

  ctrl::StatusOr<ctrl::Result> reconcile(const std::string& name) {
    ctrl::Request req;
    req.ns = kNs;
    req.name = name;
    return reconciler_->reconcile(req, std::stop_token());
  }

  st::ServiceTokenReconciler& reconciler() { return *reconciler_; }

  // The live (server-side) object, decoded.
  st::ServiceToken token(const std::string& name) {
    auto t = st::decodeServiceToken(api_.object(st::serviceTokenResource(), kNs, name));
    EXPECT_TRUE(t.isOk()) << t.status().toString();
    return t.isOk() ? std::move(t).value() : st::ServiceToken{};
  }
  ctrl::Json secret(const std::string& name) {
    return api_.object(ctrl::resources::secret(), kNs, name);
  }
  std::string condition(const std::string& name, const std::string& type,
                        std::string* reason = nullptr) {
    for (const auto& c : token(name).status.conditions) {
      if (c.type == type) {
        if (reason != nullptr) *reason = c.reason;
        return c.status;
      }
    }
    return "";
  }

 private:
  template <typename T, typename Decode>
  void syncStore(ctrl::Store<T>& store, const ctrl::Resource& r, Decode decode,
                 bool labelledOnly = false) {
    auto page = api_.list(r, kNs, {});
    ASSERT_TRUE(page.isOk());
    std::vector<ctrl::StoreItem<T>> items;
    for (const auto& o : *page->items) {
      if (labelledOnly &&
          o["metadata"].value("labels", ctrl::Json::object()).value(st::kManagedByLabel, "") !=
              st::kManagedByValue) {
        continue;
      }
      auto decoded = decode(o);
      ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
      auto obj = std::make_shared<const T>(std::move(decoded).value());
      items.push_back({obj->meta.key(), obj->meta.resourceVersion, obj});
    }
    store.replace(std::move(items));
  }

  FakeApi api_;
  FakeClock clock_;
  ctrl::Store<st::ServiceToken> tokens_;
  ctrl::Store<st::TokenSecret> secrets_;
  ctrl::Store<st::ServiceUser> users_;
  RecordedEvents events_;
  prometheus::Registry registry_;
  st::TokenMetrics metrics_{registry_};
  std::unique_ptr<st::BuiltinAuthority> authority_;
  std::unique_ptr<st::ServiceTokenReconciler> reconciler_;
};

}  // namespace sttest
