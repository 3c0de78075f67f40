#include "controller/memory_trimmer.h"

#include <malloc.h>

namespace ctrl {

size_t heapFreeBytes() { return mallinfo2().fordblks; }

void trimHeap() { malloc_trim(0); }

bool shouldTrimHeap(size_t freeBytes, const MemoryTrimmerOptions& options) {
  return freeBytes >= options.minFreeBytes;
}

MemoryTrimmer::MemoryTrimmer(Clock& clock, MemoryTrimmerOptions options,
                             std::function<size_t()> freeBytes, std::function<void()> trim)
    : clock_(clock), options_(options), freeBytes_(std::move(freeBytes)), trim_(std::move(trim)) {}

Status MemoryTrimmer::start(std::stop_token stop) {
  std::stop_callback wake(stop, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::unique_lock lock(mu_);
  while (!stop.stop_requested()) {
    const MonoTime next = clock_.now() + options_.interval;
    clock_.waitUntil(lock, cv_, next, [&] { return stop.stop_requested(); });
    if (stop.stop_requested()) break;
    lock.unlock();
    const bool trim = shouldTrimHeap(freeBytes_(), options_);
    if (trim) trim_();
    lock.lock();
    if (trim) ++trims_;
  }
  return Status::ok();
}

int MemoryTrimmer::trims() const {
  std::lock_guard lock(mu_);
  return trims_;
}

}  // namespace ctrl
