// MemoryTrimmer: hands the memory glibc's malloc holds free back to the
// system once a burst is over. A burst (10,000 first mints, a rotation
// storm, a relist) allocates and frees request bodies and JSON trees between
// long-lived cache objects; glibc keeps the freed pages in its arenas, so the
// process stays at its burst size. Every `interval` the trimmer reads how
// much the heap holds free and, when that is at least `minFreeBytes`, calls
// malloc_trim(0), which returns whole free pages (also from the middle of
// the heap). Local only: it never calls the API.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>

#include "controller/clock.h"
#include "controller/runnable.h"

namespace ctrl {

struct MemoryTrimmerOptions {
  Duration interval = std::chrono::seconds(10);
  size_t minFreeBytes = size_t{8} << 20;
};

// Bytes malloc holds free in its arenas (mallinfo2: fordblks).
size_t heapFreeBytes();
// malloc_trim(0).
void trimHeap();

// Whether a heap holding `freeBytes` free should be trimmed.
bool shouldTrimHeap(size_t freeBytes, const MemoryTrimmerOptions& options);

class MemoryTrimmer final : public Runnable {
 public:
  // `freeBytes` and `trim` default to the real heap (tests inject fakes).
  explicit MemoryTrimmer(Clock& clock, MemoryTrimmerOptions options = {},
                         std::function<size_t()> freeBytes = heapFreeBytes,
                         std::function<void()> trim = trimHeap);

  // Checks every interval until `stop`; returns OK.
  Status start(std::stop_token stop) override;
  std::string name() const override { return "memory-trimmer"; }

  // How many times it trimmed. Thread-safe.
  int trims() const;

 private:
  Clock& clock_;
  const MemoryTrimmerOptions options_;
  const std::function<size_t()> freeBytes_;
  const std::function<void()> trim_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  int trims_ = 0;
};

}  // namespace ctrl
