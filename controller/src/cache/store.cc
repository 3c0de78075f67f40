#include "controller/store.h"

#include <algorithm>
#include <cassert>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <unordered_map>

namespace ctrl::detail {
namespace {

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

template <typename V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

struct Entry {
  std::string resourceVersion;
  ErasedPtr object;
};

// Orders the keys of one index bucket by the strings they point at.
struct KeyLess {
  using is_transparent = void;
  bool operator()(const std::string* a, const std::string* b) const { return *a < *b; }
};

struct Index {
  std::string name;
  ErasedIndexFunc fn;
  // value → keys (ordered, so byIndex() is deterministic). The keys point at
  // the keys of Impl::entries (nodes of an unordered_map do not move), so a
  // key is stored once however many indexes hold it. An entry's values are
  // not kept either: objects are immutable and index functions pure, so
  // unindexing recomputes them.
  StringMap<std::set<const std::string*, KeyLess>> buckets;
};

}  // namespace

struct UntypedStore::Impl {
  mutable std::shared_mutex mu;
  StringMap<Entry> entries;
  std::vector<Index> indexes;

  const Index* findIndex(std::string_view name) const {
    for (const auto& index : indexes) {
      if (index.name == name) return &index;
    }
    return nullptr;
  }

  // `key` must be the key of a node of `entries` (it is pointed at).
  static void indexOne(Index& index, const std::string& key, const Entry& entry) {
    for (const auto& value : index.fn(entry.object.get())) index.buckets[value].insert(&key);
  }

  void indexEntry(const std::string& key, const Entry& entry) {
    for (auto& index : indexes) indexOne(index, key, entry);
  }

  void unindexEntry(const std::string& key, const Entry& entry) {
    for (auto& index : indexes) {
      for (const auto& value : index.fn(entry.object.get())) {
        auto bucket = index.buckets.find(value);
        if (bucket == index.buckets.end()) continue;
        bucket->second.erase(&key);
        if (bucket->second.empty()) index.buckets.erase(bucket);
      }
    }
  }

  std::vector<std::string> keysFor(std::string_view index, std::string_view value) const {
    const Index* idx = findIndex(index);
    assert(idx != nullptr && "byIndex() on an index that was never added");
    if (idx == nullptr) return {};
    auto bucket = idx->buckets.find(value);
    if (bucket == idx->buckets.end()) return {};
    std::vector<std::string> keys;
    keys.reserve(bucket->second.size());
    for (const std::string* key : bucket->second) keys.push_back(*key);
    return keys;
  }
};

UntypedStore::UntypedStore() : impl_(std::make_unique<Impl>()) {}
UntypedStore::~UntypedStore() = default;

Status UntypedStore::addIndex(std::string name, ErasedIndexFunc fn) {
  std::unique_lock lock(impl_->mu);
  if (impl_->findIndex(name) != nullptr) {
    return {Code::kInvalidArgument, "index " + name + " already exists"};
  }
  impl_->indexes.push_back({std::move(name), std::move(fn), {}});
  Index& index = impl_->indexes.back();
  for (const auto& [key, entry] : impl_->entries) Impl::indexOne(index, key, entry);
  return Status::ok();
}

ErasedPtr UntypedStore::get(std::string_view key) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->entries.find(key);
  return it == impl_->entries.end() ? nullptr : it->second.object;
}

std::string UntypedStore::resourceVersionOf(std::string_view key) const {
  std::shared_lock lock(impl_->mu);
  auto it = impl_->entries.find(key);
  return it == impl_->entries.end() ? std::string() : it->second.resourceVersion;
}

std::vector<ErasedPtr> UntypedStore::list() const {
  std::shared_lock lock(impl_->mu);
  std::vector<ErasedPtr> out;
  out.reserve(impl_->entries.size());
  for (const auto& [key, entry] : impl_->entries) out.push_back(entry.object);
  return out;
}

std::vector<std::string> UntypedStore::keys() const {
  std::vector<std::string> out;
  {
    std::shared_lock lock(impl_->mu);
    out.reserve(impl_->entries.size());
    for (const auto& [key, entry] : impl_->entries) out.push_back(key);
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> UntypedStore::indexKeys(std::string_view index,
                                                 std::string_view value) const {
  std::shared_lock lock(impl_->mu);
  return impl_->keysFor(index, value);
}

std::vector<ErasedPtr> UntypedStore::byIndex(std::string_view index, std::string_view value) const {
  std::shared_lock lock(impl_->mu);
  std::vector<ErasedPtr> out;
  for (const auto& key : impl_->keysFor(index, value)) {
    auto it = impl_->entries.find(key);
    if (it != impl_->entries.end()) out.push_back(it->second.object);
  }
  return out;
}

size_t UntypedStore::size() const {
  std::shared_lock lock(impl_->mu);
  return impl_->entries.size();
}

ErasedPtr UntypedStore::upsert(ErasedItem item) {
  assert(item.object != nullptr);
  std::unique_lock lock(impl_->mu);
  auto [it, inserted] = impl_->entries.try_emplace(item.key);
  ErasedPtr before;
  if (!inserted) {
    impl_->unindexEntry(it->first, it->second);
    before = std::move(it->second.object);
  }
  it->second.resourceVersion = std::move(item.resourceVersion);
  it->second.object = std::move(item.object);
  impl_->indexEntry(it->first, it->second);
  return before;
}

ErasedPtr UntypedStore::remove(std::string_view key) {
  std::unique_lock lock(impl_->mu);
  auto it = impl_->entries.find(key);
  if (it == impl_->entries.end()) return nullptr;
  impl_->unindexEntry(it->first, it->second);
  ErasedPtr before = std::move(it->second.object);
  impl_->entries.erase(it);
  return before;
}

std::vector<ErasedChange> UntypedStore::replace(std::vector<ErasedItem> items) {
  StringMap<Entry> fresh;
  fresh.reserve(items.size());
  std::vector<ErasedChange> changes;
  changes.reserve(items.size());

  std::unique_lock lock(impl_->mu);
  for (auto& item : items) {
    assert(item.object != nullptr);
    ErasedChange change{item.key, nullptr, item.object, true};
    if (auto old = impl_->entries.find(item.key); old != impl_->entries.end()) {
      change.before = old->second.object;
      change.versionChanged = old->second.resourceVersion != item.resourceVersion;
    }
    auto [it, inserted] = fresh.try_emplace(std::move(item.key));
    if (!inserted) {
      // A duplicate key in one list: the later item wins, like a map.
      // (Names the key explicitly: clang 14 cannot capture a structured binding.)
      changes.erase(
          std::find_if(changes.begin(), changes.end(),
                       [&key = it->first](const ErasedChange& c) { return c.key == key; }));
    }
    it->second.resourceVersion = std::move(item.resourceVersion);
    it->second.object = std::move(item.object);
    changes.push_back(std::move(change));
  }
  std::vector<ErasedChange> removals;
  for (auto& [key, entry] : impl_->entries) {
    if (!fresh.contains(key)) removals.push_back({key, entry.object, nullptr, true});
  }
  std::sort(removals.begin(), removals.end(),
            [](const ErasedChange& a, const ErasedChange& b) { return a.key < b.key; });

  for (auto& index : impl_->indexes) index.buckets.clear();
  impl_->entries = std::move(fresh);
  for (auto& [key, entry] : impl_->entries) impl_->indexEntry(key, entry);
  lock.unlock();

  for (auto& r : removals) changes.push_back(std::move(r));
  return changes;
}

}  // namespace ctrl::detail
