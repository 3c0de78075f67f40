// The informer cache: a thread-safe map from "namespace/name" to an immutable
// snapshot `std::shared_ptr<const T>`, plus named secondary indexes (e.g.
// "owner" → objects whose ownerReferences name a UID).
//
// Snapshots are shared with readers and never change: an update replaces the
// pointer in the map, so a reader holding the old pointer keeps a consistent
// (if stale) object for as long as it wants. Readers take `const Store<T>&`,
// which offers only the read methods; the informer is the only writer.
//
// The typed Store<T> is a thin cast layer over detail::UntypedStore (in
// store.cc), so each T costs little compile time.
//
// A store may keep its objects packed (setPacking(), pack.h): then it holds
// each object's bytes in one allocation, and every read unpacks a fresh
// snapshot. Readers see the same API and the same immutability; they pay
// an unpack per object read instead of the memory of a struct per object.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controller/object_meta.h"
#include "controller/pack.h"
#include "controller/status.h"

namespace ctrl {

namespace detail {

using ErasedPtr = std::shared_ptr<const void>;
// Returns the index values of one object; called with the object's address.
using ErasedIndexFunc = std::function<std::vector<std::string>(const void* object)>;

struct ErasedItem {
  std::string key;
  std::string resourceVersion;
  ErasedPtr object;  // non-null
};

// One effect of a mutation: `before` is null for an addition, `after` is
// null for a removal; both set for a replacement.
struct ErasedChange {
  std::string key;
  ErasedPtr before;
  ErasedPtr after;
  bool versionChanged = true;  // false when a replace() kept the same resourceVersion
};

// The type-erased implementation behind Store<T>; see Store<T> for each
// method's contract. Thread-safe.
class UntypedStore {
 public:
  UntypedStore();
  ~UntypedStore();
  UntypedStore(const UntypedStore&) = delete;
  UntypedStore& operator=(const UntypedStore&) = delete;

  Status addIndex(std::string name, ErasedIndexFunc fn);
  ErasedPtr get(std::string_view key) const;
  std::string resourceVersionOf(std::string_view key) const;
  std::vector<ErasedPtr> list() const;
  std::vector<std::string> keys() const;
  std::vector<ErasedPtr> byIndex(std::string_view index, std::string_view value) const;
  std::vector<std::string> indexKeys(std::string_view index, std::string_view value) const;
  size_t size() const;

  ErasedPtr upsert(ErasedItem item);
  ErasedPtr remove(std::string_view key);
  std::vector<ErasedChange> replace(std::vector<ErasedItem> items);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace detail

template <typename T>
struct StoreItem {
  std::string key;
  std::string resourceVersion;
  std::shared_ptr<const T> object;  // non-null
};

template <typename T>
struct StoreChange {
  std::string key;
  std::shared_ptr<const T> before;  // null: the key was added
  std::shared_ptr<const T> after;   // null: the key was removed
  bool versionChanged = true;
};

// Thread-safe: every method may be called from any thread. Index functions
// run under the store's write lock: they must be quick and pure.
template <typename T>
class Store {
 public:
  using Ptr = std::shared_ptr<const T>;
  using IndexFunc = std::function<std::vector<std::string>(const T&)>;

  // `typeName` names T in the one log line of a packed object that does
  // not unpack (pack.h: corruptPackedObject).
  explicit Store(std::string typeName = "object") : typeName_(std::move(typeName)) {}
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // Keeps objects packed from now on. Precondition: the store is empty and
  // has no index yet (both would hold the other form).
  void setPacking(Packing<T> packing) {
    packing_ = std::make_shared<const Packing<T>>(std::move(packing));
  }
  bool packed() const { return packing_ != nullptr; }

  // Adds a named index; existing objects are indexed at once. An object may
  // have any number of values for one index (none: it is not in the index).
  // Errors: InvalidArgument when `name` is taken.
  Status addIndex(std::string name, IndexFunc fn) {
    if (packing_) {
      return core_.addIndex(std::move(name), [this, fn = std::move(fn)](const void* object) {
        return fn(unpack(static_cast<const char*>(object)));
      });
    }
    return core_.addIndex(std::move(name), [fn = std::move(fn)](const void* object) {
      return fn(*static_cast<const T*>(object));
    });
  }

  // The snapshot under `key` ("namespace/name"), or null.
  Ptr get(std::string_view key) const { return cast(core_.get(key)); }
  Ptr get(std::string_view ns, std::string_view name) const { return get(objectKey(ns, name)); }
  // The resourceVersion stored with `key`, or "" when absent.
  std::string resourceVersionOf(std::string_view key) const { return core_.resourceVersionOf(key); }
  // All snapshots, in no particular order.
  std::vector<Ptr> list() const { return castAll(core_.list()); }
  // Calls `fn` with each object, one at a time, in no particular order: a
  // packed store unpacks only the one `fn` is looking at (list() unpacks
  // them all at once). The objects are those held when the call began.
  void forEach(const std::function<void(const T& object)>& fn) const {
    for (const auto& p : core_.list()) {
      if (!packing_) {
        fn(*static_cast<const T*>(p.get()));
        continue;
      }
      const T object = unpack(static_cast<const char*>(p.get()));
      fn(object);
    }
  }
  // All keys, sorted.
  std::vector<std::string> keys() const { return core_.keys(); }
  // Objects whose index function returned `value` for `index`, ordered by key.
  // Precondition: `index` was added (otherwise returns nothing; asserts in
  // debug builds).
  std::vector<Ptr> byIndex(std::string_view index, std::string_view value) const {
    return castAll(core_.byIndex(index, value));
  }
  // The keys of byIndex(), sorted.
  std::vector<std::string> indexKeys(std::string_view index, std::string_view value) const {
    return core_.indexKeys(index, value);
  }
  size_t size() const { return core_.size(); }

  // Mutators (the informer's). Each returns what it replaced (null if none).
  Ptr upsert(std::string key, std::string resourceVersion, Ptr object) {
    return cast(
        core_.upsert({std::move(key), std::move(resourceVersion), erase(std::move(object))}));
  }
  Ptr remove(std::string_view key) { return cast(core_.remove(key)); }
  // Makes the store hold exactly `items` (a relist) and returns the
  // differences: additions and replacements in `items` order, then removals
  // ordered by key.
  std::vector<StoreChange<T>> replace(std::vector<StoreItem<T>> items) {
    std::vector<detail::ErasedItem> erased;
    erased.reserve(items.size());
    for (auto& item : items) {
      erased.push_back(
          {std::move(item.key), std::move(item.resourceVersion), erase(std::move(item.object))});
    }
    std::vector<StoreChange<T>> changes;
    for (auto& c : core_.replace(std::move(erased))) {
      changes.push_back({std::move(c.key), cast(c.before), cast(c.after), c.versionChanged});
    }
    return changes;
  }

  detail::UntypedStore& untyped() { return core_; }
  const detail::UntypedStore& untyped() const { return core_; }

  // The form this store holds `object` in, and back (for the informer,
  // which hands the store's objects to the untyped core and its handlers).
  detail::ErasedPtr erase(Ptr object) const {
    if (!packing_ || !object) return object;
    std::string bytes;
    packing_->pack(*object, bytes);
    return makePacked(bytes);
  }
  Ptr cast(const detail::ErasedPtr& p) const {
    if (!packing_ || !p) return std::static_pointer_cast<const T>(p);
    return std::make_shared<const T>(unpack(static_cast<const char*>(p.get())));
  }

 private:
  T unpack(const char* packed) const {
    T object{};
    if (!packing_->unpack(packedBytes(packed), object)) corruptPackedObject(typeName_);
    return object;
  }
  std::vector<Ptr> castAll(std::vector<detail::ErasedPtr> all) const {
    std::vector<Ptr> out;
    out.reserve(all.size());
    for (auto& p : all) out.push_back(cast(p));
    return out;
  }

  const std::string typeName_;
  std::shared_ptr<const Packing<T>> packing_;  // null: objects kept as T
  detail::UntypedStore core_;
};

}  // namespace ctrl
