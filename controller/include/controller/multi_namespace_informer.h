// An informer over a chosen set of namespaces, for a process whose RBAC is a
// Role in each of them (it may not list or watch across all namespaces):
// one Informer<T> per namespace, each with its own list and watch, and one
// Store<T> that merges them, so readers see a single cache exactly as with
// one informer (controller-runtime's multi-namespace cache does the same).
//
// With one namespace, or none (all namespaces), it is a plain Informer<T>:
// there is no merged copy and no extra thread.
//
// The merged store is kept in step by a handler that runs first on each
// namespace's informer, so the caller's handlers (added after it) always
// read a store that already holds the change. Handlers of different
// namespaces run on different threads, concurrently: they must be
// thread-safe (enqueueing into a workqueue is).
//
// T must embed `ObjectMeta meta` (like every typed cache struct here).
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "controller/informer.h"

namespace ctrl {

template <typename T>
class MultiNamespaceInformer final : public Runnable {
 public:
  // `namespaces`: the namespaces to watch; empty means all namespaces.
  // `options.ns` is ignored. The other arguments as for Informer<T>, and
  // they must outlive this object.
  MultiNamespaceInformer(Reader& reader, Watcher& watcher, ReflectorOptions options,
                         std::vector<std::string> namespaces, Codec<T> codec,
                         Clock& clock = RealClock::instance())
      : merged_(options.resource.kind) {
    if (namespaces.empty()) namespaces.push_back("");
    for (const std::string& ns : namespaces) {
      ReflectorOptions one = options;
      one.ns = ns;
      informers_.push_back(
          std::make_shared<Informer<T>>(reader, watcher, std::move(one), codec, clock));
    }
    if (informers_.size() > 1) {
      for (auto& informer : informers_) mirrorInto(*informer);
    }
  }

  // Runs every namespace's informer until `stop`; returns OK then. When one
  // fails, stops the others and returns its error. Call once.
  Status start(std::stop_token stop) override {
    if (informers_.size() == 1) return informers_.front()->start(std::move(stop));
    std::stop_source inner;
    std::stop_callback forward(stop, [&inner] { inner.request_stop(); });
    std::mutex mu;
    Status first;
    std::vector<std::jthread> threads;
    for (auto& informer : informers_) {
      threads.emplace_back([&, informer] {
        Status s = informer->start(inner.get_token());
        if (s.isOk()) return;
        {
          std::lock_guard lock(mu);
          if (first.isOk()) first = s;
        }
        inner.request_stop();
      });
    }
    threads.clear();  // joins
    return first;
  }

  // "informer/<plural>".
  std::string name() const override { return informers_.front()->name(); }

  // Registers handlers on every namespace's informer. Call before start().
  // Errors: InvalidArgument when started.
  Status addEventHandler(EventHandlers<T> handlers) {
    for (auto& informer : informers_) {
      if (Status s = informer->addEventHandler(handlers); !s.isOk()) return s;
    }
    return Status::ok();
  }

  // Keeps every cache packed (see Store::setPacking). Call first: before
  // addIndex(), addEventHandler() and start().
  void setPacking(const Packing<T>& packing) {
    for (auto& informer : informers_) informer->setPacking(packing);
    if (informers_.size() > 1) merged_.setPacking(packing);
  }

  // Adds an index to the store readers see. Best called before start().
  Status addIndex(std::string name, typename Store<T>::IndexFunc fn) {
    if (informers_.size() == 1) return informers_.front()->addIndex(std::move(name), std::move(fn));
    return merged_.addIndex(std::move(name), std::move(fn));
  }

  // The cache of every watched namespace, read-only. Thread-safe.
  const Store<T>& store() const {
    return informers_.size() == 1 ? informers_.front()->store() : merged_;
  }
  // True once every namespace has listed. Thread-safe.
  bool hasSynced() const {
    for (const auto& informer : informers_) {
      if (!informer->hasSynced()) return false;
    }
    return true;
  }
  // How many informers run: one per namespace, or one for all namespaces.
  size_t informerCount() const { return informers_.size(); }

 private:
  void mirrorInto(Informer<T>& informer) {
    const Store<T>& source = informer.store();
    Store<T>& merged = merged_;
    auto upsert = [&source, &merged](const std::shared_ptr<const T>& object) {
      std::string key = object->meta.key();
      std::string version = source.resourceVersionOf(key);
      merged.upsert(std::move(key), std::move(version), object);
    };
    // Cannot fail: the informer has not started.
    (void)informer.addEventHandler(
        {.onAdd = upsert,
         .onUpdate = [upsert](const auto&, const auto& after) { upsert(after); },
         .onDelete = [&merged](const auto& last) { merged.remove(last->meta.key()); }});
  }

  std::vector<std::shared_ptr<Informer<T>>> informers_;
  Store<T> merged_;  // used only with several namespaces
};

}  // namespace ctrl
