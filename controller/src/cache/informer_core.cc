#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <exception>
#include <nlohmann/json.hpp>

#include "base/exception_type.h"
#include "controller/informer.h"
#include "controller/log.h"
#include "controller/metrics.h"

namespace ctrl::detail {
namespace {

struct KeyAndVersion {
  std::string key;
  std::string resourceVersion;
};

// Reads namespace/name/resourceVersion without decoding the whole object.
// Returns an empty key when the object has no name.
KeyAndVersion keyOf(const Json& object) {
  KeyAndVersion out;
  if (!object.is_object()) return out;
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return out;
  auto str = [&](const char* field) -> std::string {
    auto it = meta->find(field);
    return it != meta->end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  std::string name = str("name");
  if (name.empty()) return out;
  out.key = objectKey(str("namespace"), name);
  out.resourceVersion = str("resourceVersion");
  return out;
}

// Runs one handler; a throwing handler is a bug, but it must not take the
// informer (and with it every controller sharing it) down.
template <typename Fn, typename... Args>
void invoke(const std::string& informer, const Fn& fn, const Args&... args) {
  if (!fn) return;
  try {
    fn(args...);
  } catch (...) {
    // The type only: what() may quote input (see base/exception_type.h).
    log::error("Event handler threw",
               {{"informer", informer}, {"exception", internal::currentExceptionType()}});
  }
}

}  // namespace

InformerCore::InformerCore(Reader& reader, Watcher& watcher, Clock& clock, ReflectorOptions options,
                           ErasedCodec codec, UntypedStore& store)
    : clock_(clock),
      resourceName_(options.resource.plural),
      codec_(std::move(codec)),
      store_(store),
      decodeFailures_(&prometheus::BuildCounter()
                           .Name("informer_decode_failures_total")
                           .Help("Objects (list items and watch events) an informer's codec "
                                 "rejected, by resource")
                           .Register(*metricsRegistry())
                           .Add({{"resource", resourceName_}})),
      reflector_(reader, watcher, clock, std::move(options), *this) {}

InformerCore::~InformerCore() = default;

std::string InformerCore::name() const { return "informer/" + resourceName_; }

Status InformerCore::addHandlers(ErasedHandlers handlers) {
  std::lock_guard lock(mu_);
  if (started_) return {Code::kInvalidArgument, name() + ": handlers must be added before start"};
  handlers_.push_back(std::move(handlers));
  return Status::ok();
}

Status InformerCore::run(std::stop_token stop) {
  {
    std::lock_guard lock(mu_);
    if (started_) return {Code::kInvalidArgument, name() + " started twice"};
    started_ = true;
  }
  return reflector_.run(std::move(stop));
}

bool InformerCore::hasSynced() const {
  std::lock_guard lock(mu_);
  return synced_;
}

bool InformerCore::waitForSync(std::stop_token stop, MonoTime deadline) {
  std::stop_callback wake(stop, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  clock_.waitUntil(lock, cv_, deadline, [&] { return synced_ || stop.stop_requested(); });
  return synced_;
}

ErasedPtr InformerCore::decode(const Json& object, const std::string& key) {
  std::string error;
  try {
    StatusOr<ErasedPtr> decoded = codec_(object);
    if (decoded.isOk() && *decoded != nullptr) return std::move(decoded).value();
    error = decoded.isOk() ? std::string("null") : decoded.status().toString();
  } catch (...) {
    // The exception text may quote the object (possibly Secret data): leave it out.
    error = "the codec threw";
  }
  decodeFailures_->Increment();
  // The key and the codec's message (which must not carry secret values);
  // never the object.
  const bool kept = store_.get(key) != nullptr;
  log::warn(kept ? "Kept the last good version of an object that failed to decode"
                 : "Skipped object that failed to decode",
            {{"informer", name()}, {"key", key}, {"error", error}});
  return nullptr;
}

void InformerCore::onListStart() { pending_.clear(); }

void InformerCore::onListItem(const Json& object) {
  KeyAndVersion kv = keyOf(object);
  if (kv.key.empty()) {
    log::warn("Skipped listed object without a name", {{"informer", name()}});
    return;
  }
  if (ErasedPtr decoded = decode(object, kv.key)) {
    pending_.push_back({std::move(kv.key), std::move(kv.resourceVersion), std::move(decoded)});
  } else if (ErasedPtr last = store_.get(kv.key)) {
    // The object exists; only this version is unreadable. Keep what we had,
    // with its version, so the relist reports it neither deleted nor changed.
    std::string lastVersion = store_.resourceVersionOf(kv.key);
    pending_.push_back({std::move(kv.key), std::move(lastVersion), std::move(last)});
  }
}

void InformerCore::onListDone(const std::string& /*resourceVersion*/) {
  std::vector<ErasedChange> changes = store_.replace(std::move(pending_));
  pending_ = {};
  for (const auto& change : changes) {
    if (change.before == nullptr) {
      dispatchAdd(change.after);
    } else if (change.after == nullptr) {
      dispatchDelete(change.before);
    } else if (change.versionChanged) {
      dispatchUpdate(change.before, change.after);
    }
  }
  // Synced only after the handlers saw the list, so whoever waits for sync
  // finds every listed key already handed to its handlers.
  {
    std::lock_guard lock(mu_);
    synced_ = true;
  }
  cv_.notify_all();
}

void InformerCore::onWatchEvent(WatchEventType type, const Json& object) {
  KeyAndVersion kv = keyOf(object);
  if (kv.key.empty()) {
    log::warn("Skipped watch event without an object name", {{"informer", name()}});
    return;
  }
  if (type == WatchEventType::kDeleted) {
    ErasedPtr last = store_.remove(kv.key);
    if (last == nullptr) return;  // never cached (e.g. it failed to decode)
    if (ErasedPtr decoded = decode(object, kv.key)) last = std::move(decoded);
    dispatchDelete(last);
    return;
  }
  ErasedPtr decoded = decode(object, kv.key);
  if (decoded == nullptr) {
    // The object still exists: a rejected version is not a deletion. The
    // last good version stays (handlers hear nothing) until one decodes.
    return;
  }
  ErasedPtr before = store_.upsert({kv.key, std::move(kv.resourceVersion), decoded});
  if (before == nullptr) {
    dispatchAdd(decoded);
  } else {
    dispatchUpdate(before, decoded);
  }
}

void InformerCore::dispatchAdd(const ErasedPtr& object) {
  for (const auto& h : handlers_) invoke(resourceName_, h.onAdd, object);
}

void InformerCore::dispatchUpdate(const ErasedPtr& before, const ErasedPtr& after) {
  for (const auto& h : handlers_) invoke(resourceName_, h.onUpdate, before, after);
}

void InformerCore::dispatchDelete(const ErasedPtr& last) {
  for (const auto& h : handlers_) invoke(resourceName_, h.onDelete, last);
}

}  // namespace ctrl::detail
