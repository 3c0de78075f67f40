#include "verifier/last_used.h"

#include "api/types.h"
#include "controller/log.h"
#include "controller/object_meta.h"

namespace st::verifier {
namespace {

const auto kLog = ctrl::log::named("last-used");

std::string keyOf(const std::string& ns, const std::string& name) { return ns + "/" + name; }

}  // namespace

bool lastUsedDue(std::optional<ctrl::WallTime> recorded, ctrl::WallTime now) {
  return !recorded || now - *recorded >= kLastUsedInterval;
}

LastUsedRecorder::LastUsedRecorder(ctrl::Writer& client, ctrl::Clock& clock,
                                   LastUsedOptions options)
    : client_(client), clock_(clock), options_(options) {}

void LastUsedRecorder::touch(const Grant& g, ctrl::WallTime now) {
  if (g.serviceTokenName.empty() || !lastUsedDue(g.lastUsedTime, now)) return;
  const std::string key = keyOf(g.serviceTokenNamespace, g.serviceTokenName);
  {
    std::lock_guard lock(mu_);
    auto it = entries_.find(key);
    if (it == entries_.end()) {
      if (entries_.size() >= options_.maxPending) {
        // Forget what was written; pending writes stay.
        std::erase_if(entries_, [](const auto& e) { return !e.second.pending; });
        if (entries_.size() >= options_.maxPending) return;
      }
      it = entries_.emplace(key, Entry{}).first;
    }
    Entry& e = it->second;
    if (e.pending) {
      if (now > e.seen) {
        e.seen = now;
        e.resourceVersion = g.serviceTokenResourceVersion;
      }
      return;
    }
    // Our own write may not have reached the cache yet.
    if (!lastUsedDue(e.writtenUntil, now)) return;
    e.pending = true;
    e.seen = now;
    e.resourceVersion = g.serviceTokenResourceVersion;
    queue_.push_back(key);
  }
  cv_.notify_one();
}

std::optional<LastUsedRecorder::Work> LastUsedRecorder::next(std::stop_token stop) {
  std::unique_lock lock(mu_);
  cv_.wait(lock, stop, [&] { return !queue_.empty(); });
  if (stop.stop_requested()) return std::nullopt;
  const std::string key = queue_.front();
  queue_.pop_front();
  auto it = entries_.find(key);
  if (it == entries_.end()) return Work{};
  const size_t slash = key.find('/');
  return Work{key.substr(0, slash), key.substr(slash + 1), it->second.seen,
              it->second.resourceVersion};
}

ctrl::Status LastUsedRecorder::start(std::stop_token stop) {
  while (!stop.stop_requested()) {
    std::optional<Work> work = next(stop);
    if (!work) break;
    if (work->name.empty()) continue;
    if (options_.maxWritesPerSecond > 0) {
      // Spread writes out on the injected clock (a stop ends the wait).
      std::mutex waitMu;
      std::condition_variable waitCv;
      std::unique_lock waitLock(waitMu);
      clock_.waitUntil(waitLock, waitCv, nextWriteAt_, [&] { return stop.stop_requested(); });
      if (stop.stop_requested()) break;
      nextWriteAt_ = std::max(clock_.now(), nextWriteAt_) +
                     std::chrono::duration_cast<ctrl::Duration>(
                         std::chrono::duration<double>(1.0 / options_.maxWritesPerSecond));
    }
    write(*work);
  }
  return ctrl::Status::ok();
}

void LastUsedRecorder::write(const Work& work) {
  const std::string when = ctrl::formatRfc3339(work.seen);
  ctrl::Json patch = {{"status", {{"lastUsedTime", when}}}};
  if (!work.resourceVersion.empty()) {
    patch["metadata"] = {{"resourceVersion", work.resourceVersion}};
  }
  ctrl::PatchOptions options;
  options.subresource = "status";
  options.fieldManager = kVerifierFieldManager;
  auto result = client_.patch(serviceTokenResource(), work.ns, work.name, ctrl::PatchType::kMerge,
                              patch, options);
  const std::string key = keyOf(work.ns, work.name);
  std::lock_guard lock(mu_);
  ++writes_;
  auto it = entries_.find(key);
  if (it == entries_.end()) return;
  Entry& e = it->second;
  e.pending = false;
  if (result.isOk()) {
    e.writtenUntil = work.seen;
    return;
  }
  switch (result.status().code()) {
    case ctrl::Code::kNotFound:
      entries_.erase(it);  // deleted: nothing to record
      break;
    case ctrl::Code::kConflict:
      // Changed since the use was seen (another replica's write, or the
      // operator's): the next use decides again on the fresh cache.
      break;
    default:
      kLog.error(result.status(), "Failed to record last use",
                 {{"ServiceToken", key}, {"lastUsedTime", when}});
      break;
  }
}

uint64_t LastUsedRecorder::writes() const {
  std::lock_guard lock(mu_);
  return writes_;
}

}  // namespace st::verifier
