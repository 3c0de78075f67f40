// An Informer<T> keeps a Store<T> of one resource in step with the API server
// (through a Reflector: paged list, then watch, relist on 410, reconnect with
// backoff) and tells event handlers about every change.
//
// Each object is decoded once, by the caller's codec, into a compact typed T
// (usually a struct embedding ObjectMeta with only the fields reconcilers
// read); the JSON is dropped. A version the codec rejects is counted in
// informer_decode_failures_total{resource} and logged by key (never its
// content); a rejected version is not a deletion: if an older version is
// cached, it stays (no handler is called) until a version decodes, also
// across a relist; an object never cached stays out of the store. One
// malformed object never stops the informer.
//
// Handlers run on the informer's thread (the one that called start()), one at
// a time and in event order. After a relist, handlers see onAdd for new
// objects, onUpdate for objects whose resourceVersion changed and onDelete for
// objects that vanished while the watch was down.
//
// The template is a thin typed layer over detail::InformerCore (informer.cc).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/reflector.h"
#include "controller/runnable.h"
#include "controller/status.h"
#include "controller/store.h"

namespace prometheus {
class Counter;
}

namespace ctrl {

// Decodes one API object into T. Must not throw; errors are values (a thrown
// exception is caught and treated as a decode failure all the same). Error
// messages must not contain secret values.
template <typename T>
using Codec = std::function<StatusOr<T>(const Json& object)>;

// Any member may be empty. Handlers must be quick (enqueue a key, do not
// call the API) and must not throw.
template <typename T>
struct EventHandlers {
  std::function<void(const std::shared_ptr<const T>& object)> onAdd;
  std::function<void(const std::shared_ptr<const T>& before, const std::shared_ptr<const T>& after)>
      onUpdate;
  // With the last state the informer knew (or the DELETED event's object).
  std::function<void(const std::shared_ptr<const T>& last)> onDelete;
};

namespace detail {

using ErasedCodec = std::function<StatusOr<ErasedPtr>(const Json& object)>;

struct ErasedHandlers {
  std::function<void(const ErasedPtr&)> onAdd;
  std::function<void(const ErasedPtr&, const ErasedPtr&)> onUpdate;
  std::function<void(const ErasedPtr&)> onDelete;
};

// The type-erased implementation behind Informer<T>; see Informer<T> for each
// method's contract. Applies reflector callbacks to the store and runs the
// handlers on the reflector's thread.
class InformerCore final : private ReflectorSink {
 public:
  InformerCore(Reader& reader, Watcher& watcher, Clock& clock, ReflectorOptions options,
               ErasedCodec codec, UntypedStore& store);
  ~InformerCore() override;
  InformerCore(const InformerCore&) = delete;
  InformerCore& operator=(const InformerCore&) = delete;

  Status addHandlers(ErasedHandlers handlers);
  Status run(std::stop_token stop);
  bool hasSynced() const;
  bool waitForSync(std::stop_token stop, MonoTime deadline);
  std::string name() const;
  const Reflector& reflector() const { return reflector_; }

 private:
  void onListStart() override;
  void onListItem(const Json& object) override;
  void onListDone(const std::string& resourceVersion) override;
  void onWatchEvent(WatchEventType type, const Json& object) override;

  // Decodes `object`; logs and returns null on failure.
  ErasedPtr decode(const Json& object, const std::string& key);
  void dispatchAdd(const ErasedPtr& object);
  void dispatchUpdate(const ErasedPtr& before, const ErasedPtr& after);
  void dispatchDelete(const ErasedPtr& last);

  Clock& clock_;
  std::string resourceName_;
  ErasedCodec codec_;
  UntypedStore& store_;
  prometheus::Counter* decodeFailures_;  // owned by the metrics registry
  Reflector reflector_;
  std::vector<ErasedHandlers> handlers_;  // fixed once started
  std::vector<ErasedItem> pending_;       // the list being read (informer thread only)

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool started_ = false;
  bool synced_ = false;
};

}  // namespace detail

template <typename T>
class Informer final : public Runnable {
 public:
  // `reader`, `watcher` (usually one Client) and `clock` must outlive the
  // informer. `options` names the resource, namespace and selectors.
  Informer(Reader& reader, Watcher& watcher, ReflectorOptions options, Codec<T> codec,
           Clock& clock = RealClock::instance())
      : store_(options.resource.kind),
        core_(reader, watcher, clock, std::move(options), erase(std::move(codec), store_),
              store_.untyped()) {}

  // Lists, then watches, until `stop` is requested; returns OK then. Call once.
  Status start(std::stop_token stop) override { return core_.run(stop); }
  // "informer/<plural>".
  std::string name() const override { return core_.name(); }

  // Registers handlers. Call before start(). Errors: InvalidArgument when
  // the informer has started.
  Status addEventHandler(EventHandlers<T> handlers) {
    detail::ErasedHandlers erased;
    if (handlers.onAdd) {
      erased.onAdd = [this, fn = std::move(handlers.onAdd)](const detail::ErasedPtr& p) {
        fn(store_.cast(p));
      };
    }
    if (handlers.onUpdate) {
      erased.onUpdate = [this, fn = std::move(handlers.onUpdate)](const detail::ErasedPtr& a,
                                                                  const detail::ErasedPtr& b) {
        fn(store_.cast(a), store_.cast(b));
      };
    }
    if (handlers.onDelete) {
      erased.onDelete = [this, fn = std::move(handlers.onDelete)](const detail::ErasedPtr& p) {
        fn(store_.cast(p));
      };
    }
    return core_.addHandlers(std::move(erased));
  }

  // Keeps the cache packed (see Store::setPacking). Call first: before
  // addIndex(), addEventHandler() and start().
  void setPacking(Packing<T> packing) { store_.setPacking(std::move(packing)); }

  // Adds a store index (see Store::addIndex). Best called before start().
  Status addIndex(std::string name, typename Store<T>::IndexFunc fn) {
    return store_.addIndex(std::move(name), std::move(fn));
  }

  // The cache, read-only. Thread-safe.
  const Store<T>& store() const { return store_; }
  // True once the first complete list is in the store. Thread-safe.
  bool hasSynced() const { return core_.hasSynced(); }
  // Blocks until synced (true), or until `stop` is requested or `deadline`
  // (on the informer's clock) passes (false). Thread-safe.
  bool waitForSync(std::stop_token stop, MonoTime deadline) {
    return core_.waitForSync(std::move(stop), deadline);
  }
  // The resourceVersion the cache reflects. Thread-safe.
  std::string lastSyncResourceVersion() const {
    return core_.reflector().lastSyncResourceVersion();
  }
  // Number of complete LISTs so far (1 after the initial sync). Thread-safe.
  uint64_t listCount() const { return core_.reflector().listCount(); }

 private:
  // Decodes into T, then into the form the store keeps (packed or not).
  static detail::ErasedCodec erase(Codec<T> codec, const Store<T>& store) {
    return [codec = std::move(codec), &store](const Json& object) -> StatusOr<detail::ErasedPtr> {
      StatusOr<T> decoded = codec(object);
      if (!decoded.isOk()) return decoded.status();
      return store.erase(std::make_shared<const T>(std::move(decoded).value()));
    };
  }

  Store<T> store_;  // before core_, which refers to it
  detail::InformerCore core_;
};

}  // namespace ctrl
