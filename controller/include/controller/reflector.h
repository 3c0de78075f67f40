// The reflector keeps a local view of one resource in step with the API
// server, like client-go's Reflector: a paged LIST (limit/continue), then a
// WATCH from the list's resourceVersion with bookmarks, forever.
//
// - Every event and bookmark advances the resourceVersion the next watch
//   starts from; a watch that ends cleanly (its server-side timeoutSeconds,
//   drawn at random in [min, 2*min) like client-go) is resumed at once.
// - 410 Gone, whether the server answers the watch request with HTTP 410 or
//   sends an ERROR event with code 410 inside the 200 stream, means the
//   resourceVersion is compacted away: the reflector lists again. A LIST
//   whose continue token expired (Gone) starts over from the first page.
// - Other failures (Unavailable, Forbidden, ...) are retried after an
//   exponential backoff on the injected Clock (initial 800 ms, doubling, 30 s
//   cap), reset once a watch has been healthy (delivered an event or ended
//   cleanly).
// - A watch that delivers neither an event nor a bookmark for
//   watchIdleTimeout is taken for a half-open connection: it is dropped
//   (Unavailable, so after the backoff) and resumed from the last
//   resourceVersion seen, without a relist. The API server sends a bookmark
//   about once a minute to a watch that asked for them. Silence on a
//   connection is a matter of real time: it is judged on watchIdleClock (the
//   real clock by default), not on the injected Clock, which tests jump
//   ahead by days.
//
// The reflector is untyped: it hands raw JSON objects to a ReflectorSink
// (the informer), which decodes them.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/resource.h"
#include "controller/status.h"

namespace ctrl {
namespace log {
class Logger;
}

struct ReflectorOptions {
  Resource resource;
  std::string ns;  // "" = all namespaces (or a cluster-scoped resource)
  std::string labelSelector;
  std::string fieldSelector;
  int64_t pageSize = 500;
  std::chrono::milliseconds initialBackoff{800};
  std::chrono::milliseconds maxBackoff{30'000};
  // Server-side watch timeout is drawn uniformly from [min, 2*min) seconds.
  int minWatchTimeoutSeconds = 300;
  // The longest silence (no event, no bookmark) a watch may keep before it is
  // dropped as half-open: three bookmark intervals. Zero disables the check.
  Duration watchIdleTimeout = std::chrono::minutes(3);
  // The clock watchIdleTimeout is judged on; nullptr: RealClock::instance().
  // Must outlive the reflector. Tests of the silence check pass a FakeClock.
  Clock* watchIdleClock = nullptr;
  size_t maxEventBytes = 8 << 20;
  // Called (on the reflector's thread) each time the reflector starts waiting
  // out a backoff, with the delay. For metrics and tests; may be empty.
  std::function<void(Duration delay, const Status& cause)> onBackoff;
};

// Receives what the reflector sees, on the reflector's thread, in order.
class ReflectorSink {
 public:
  virtual ~ReflectorSink() = default;
  // A (re)list begins: forget any items of an unfinished list.
  virtual void onListStart() = 0;
  // One object of the list being read (valid only during the call).
  virtual void onListItem(const Json& object) = 0;
  // The list is complete: its items are the whole state at `resourceVersion`.
  virtual void onListDone(const std::string& resourceVersion) = 0;
  // An ADDED, MODIFIED or DELETED event (never a bookmark or an error).
  virtual void onWatchEvent(WatchEventType type, const Json& object) = 0;
};

class Reflector {
 public:
  // `reader`, `watcher`, `clock` and `sink` must outlive the reflector.
  Reflector(Reader& reader, Watcher& watcher, Clock& clock, ReflectorOptions options,
            ReflectorSink& sink);
  ~Reflector();
  Reflector(const Reflector&) = delete;
  Reflector& operator=(const Reflector&) = delete;

  // Lists and watches until `stop` is requested, then returns OK. Errors from
  // the server are logged and retried, never returned. Call once; blocks.
  Status run(std::stop_token stop);

  // The resourceVersion the next watch would start from ("" before the first
  // list). Thread-safe.
  std::string lastSyncResourceVersion() const;
  // How many complete LISTs (all pages) have finished. Thread-safe.
  uint64_t listCount() const;

 private:
  enum class WatchOutcome { kResume, kRelist, kRetry, kStopped };
  Status list(std::stop_token stop);
  // One watch from resourceVersion_. Sets `healthy` when it delivered an
  // event or bookmark, and `cause` to the failure for kRelist/kRetry.
  WatchOutcome watchOnce(std::stop_token stop, bool& healthy, Status& cause);
  // Waits out the next backoff delay on the clock (and doubles it); false
  // when `stop` was requested meanwhile.
  bool backoff(const Status& cause, std::stop_token stop);
  int nextWatchTimeoutSeconds();
  void setResourceVersion(std::string rv);
  log::Logger logger() const;

  Reader& reader_;
  Watcher& watcher_;
  Clock& clock_;
  ReflectorOptions options_;
  ReflectorSink& sink_;

  mutable std::mutex mu_;
  std::condition_variable cv_;  // woken on stop
  std::string resourceVersion_;
  uint64_t listCount_ = 0;
  Duration nextBackoff_;  // reflector thread only
  uint64_t randomState_;  // reflector thread only
};

}  // namespace ctrl
