// The recorder: a bounded queue filled by event() and drained by start()'s
// thread, which owns the series cache (so the cache needs no lock).
//
// Each wake-up takes the whole queue as one batch and works it in two steps:
// first the batch is folded into the series cache on the sender thread
// (repeats within the batch only raise a count, so an Event created for
// them already carries its series), then the API writes the batch needs,
// one per series, go out on up to `senders` threads at once. A single
// sender writing one Event at a time fell far behind a burst of mints
// (10,000 tokens: 5,546 Events dropped); each write touches only its own
// series, so the writes need no lock either.
#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <list>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "controller/event_recorder.h"
#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/resource.h"
#include "events/event_builder.h"
#include "events/packed_event.h"

namespace ctrl {
namespace {

prometheus::Counter& recorderCounter(const std::string& name, const std::string& help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(*metricsRegistry()).Add({});
}

struct Pending {
  PackedEvent event;
  WallTime observed;
  MonoTime seen;
};

// One Event the API holds, and what we have not told it yet.
struct Series {
  PackedEvent event;  // its fields: to create it, or recreate it if the API dropped it
  std::string ns;
  std::string name;
  int64_t count = 1;
  WallTime firstObserved;
  WallTime lastObserved;
  MonoTime lastSeen;
  MonoTime lastPatched;
  bool dirty = false;                // count/lastObserved newer than the API's copy
  bool created = false;              // the API has (or had) this Event
  bool due = false;                  // to be written in the batch being sent
  uint64_t hash = 0;                 // its key in the cache
  std::list<Series*>::iterator lru;  // its place in the cache's order by lastSeen
};

// The series cache's key: a hash of the bytes that make the series (every
// field but the object's resourceVersion), checked against the series' own
// bytes on a match (no second copy as a key).
uint64_t seriesHash(const PackedEvent& e) { return std::hash<std::string_view>{}(e.seriesBytes()); }

// What queued events and series are packed with when the recorder is given
// no words of its own.
const PackDictionary& builtinWords() {
  static const PackDictionary words{"v1", "Pod", "Secret", "ConfigMap", "Node", "Namespace"};
  return words;
}

}  // namespace

class AsyncEventRecorder::Impl {
 public:
  Impl(Writer& writer, Clock& clock, EventRecorderOptions options)
      : writer_(writer),
        clock_(clock),
        options_(std::move(options)),
        words_(options_.words != nullptr ? *options_.words : builtinWords()),
        droppedMetric_(recorderCounter("event_recorder_dropped_total",
                                       "Events dropped because the recorder's queue was full.")),
        failedMetric_(recorderCounter("event_recorder_failed_total",
                                      "Events or series updates the API did not accept.")),
        log_(log::named("events").withValues(
            {{"reportingController", options_.reportingController}})) {}

  const PackDictionary& words() const { return words_; }

  // Drops what is queued (closed: nothing more comes), counting it.
  void dropQueued() {
    std::lock_guard lock(mu_);
    dropped_.fetch_add(queue_.size());
    droppedMetric_.Increment(static_cast<double>(queue_.size()));
    queue_.clear();
  }

  void enqueue(Pending pending) {
    {
      std::lock_guard lock(mu_);
      if (!closed_ && queue_.size() < options_.queueCapacity) {
        queue_.push_back(std::move(pending));
        // The sender waits for an event only when the queue is empty; while
        // it holds a queue back it waits for time, not for more events. So
        // only the first event wakes it: a burst of 10,000 is not 10,000
        // futex wakes and context switches.
        if (queue_.size() == 1) cv_.notify_all();
        return;
      }
    }
    dropped_.fetch_add(1);
    droppedMetric_.Increment();
  }

  Status run(const std::stop_token& stop);

  Clock& clock() { return clock_; }
  uint64_t dropped() const { return dropped_.load(); }
  uint64_t failed() const { return failed_.load(); }
  uint64_t processed() const { return processed_.load(); }
  uint64_t peakSeries() const { return peakSeries_.load(); }
  uint64_t holds() const { return holds_.load(); }

 private:
  // Sender thread only, below.
  // Folds one event into the series cache (taking its packed fields);
  // returns the series that needs a write in this batch (created or first
  // repeat), else null.
  Series* fold(Pending&& pending);
  // The fields of `series`, unpacked (a failure is a bug: it stops the
  // process, as the packed cache does).
  EventFields fieldsOf(const Series& series) const;
  // With mu_ held by `lock`: waits while options_.holdWhile says so (asked
  // without the lock), within maxHold of the oldest queued event.
  void holdBack(std::unique_lock<std::mutex>& lock, const std::stop_token& stop);
  // Runs the writes `due` needs, on up to options_.senders threads. When
  // `stopping`, the first failure ends it: the rest are counted as dropped.
  void send(const std::vector<Series*>& due, bool stopping);
  void write(Series& series);
  // Creates the Event for `series` (named anew). Returns whether it was sent.
  bool create(Series& series);
  // Sends the series' count; recreates the Event when the API lost it.
  bool patch(Series& series);
  // Patches dirty series that are due (all when `all`) and forgets expired
  // ones (after a last patch). Returns false when a request failed and
  // `stopOnFailure` was set.
  bool maintain(bool all, bool stopOnFailure);
  MonoTime nextWake() const;
  void countFailure(const Status& status, std::string_view what);
  // Forgets `series` (from the cache, its order and the dirty set).
  void erase(Series& series);

  Writer& writer_;
  Clock& clock_;
  const EventRecorderOptions options_;
  const PackDictionary& words_;
  prometheus::Counter& droppedMetric_;
  prometheus::Counter& failedMetric_;
  log::Logger log_;

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Pending> queue_;
  bool closed_ = false;
  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> processed_{0};
  std::atomic<uint64_t> peakSeries_{0};
  std::atomic<uint64_t> holds_{0};

  // Keyed by seriesHash; equal hashes are told apart by their fields.
  // Sender thread only, as are the two below. Expiry and eviction take the
  // oldest from lru_, patching looks at dirty_ only: a burst of thousands of
  // series costs no scan of the whole cache per batch.
  std::unordered_multimap<uint64_t, Series> series_;
  std::list<Series*> lru_;             // every series, oldest lastSeen first
  std::unordered_set<Series*> dirty_;  // every dirty series (and some no longer dirty)
  // Starts at a random value so two recorders (a restarted process, or tests
  // on a fake clock that restarts at the same instant) never pick one name.
  uint32_t sequence_ = std::random_device{}();
};

Status AsyncEventRecorder::Impl::run(const std::stop_token& stop) {
  std::stop_callback wake(stop, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  // A batch is moved out of the queue (never copied), at most half the
  // series cache at a time: a burst's events (10,000 after a fleet's first
  // mint) wait packed in the queue, and the cache always has created,
  // unwritten series to evict, the oldest first.
  const size_t maxBatch = std::max<size_t>(options_.maxSeries / 2, 1);
  std::deque<Pending> batch;
  std::vector<Series*> due;
  bool stopping = false;  // the last batch: stop was requested and it empties the queue
  while (!stopping) {
    bool stopRequested = false;
    {
      std::unique_lock lock(mu_);
      clock_.waitUntil(lock, cv_, nextWake(),
                       [&] { return !queue_.empty() || stop.stop_requested(); });
      holdBack(lock, stop);
      stopRequested = stop.stop_requested();
      closed_ = stopRequested;
      if (queue_.size() <= maxBatch) {
        batch.swap(queue_);  // batch was empty
      } else {
        const auto end = queue_.begin() + static_cast<std::ptrdiff_t>(maxBatch);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(end));
        queue_.erase(queue_.begin(), end);
      }
      // On stop, what is queued still goes out (bounded by the capacity),
      // a batch at a time like any other: a batch larger than the series
      // cache would leave fold() nothing to evict but series of its own.
      stopping = stopRequested && queue_.empty();
    }
    for (Pending& pending : batch) {
      if (Series* s = fold(std::move(pending)); s != nullptr) {
        s->due = true;
        due.push_back(s);
      }
    }
    if (series_.size() > peakSeries_.load()) peakSeries_.store(series_.size());
    const uint64_t failedBefore = failed_.load();
    send(due, stopRequested);
    processed_.fetch_add(batch.size());
    // Series whose create failed are forgotten (the next occurrence tries
    // again). Every series not yet created was due in this batch.
    for (Series* s : due) {
      s->due = false;
      if (!s->created) erase(*s);
    }
    const bool failedNow = failed_.load() != failedBefore;
    batch.clear();
    due.clear();
    // On stop, what is queued is still sent, but after a failure nothing
    // more is: the API is likely unreachable, and shutdown must not wait out
    // one timeout per event or series. What is left queued is dropped.
    if (stopRequested && failedNow) {
      dropQueued();
      break;
    }
    if (!stopRequested || stopping) maintain(stopping, stopping);
  }
  return Status::ok();
}

void AsyncEventRecorder::Impl::holdBack(std::unique_lock<std::mutex>& lock,
                                        const std::stop_token& stop) {
  if (!options_.holdWhile) return;
  while (!stop.stop_requested() && !queue_.empty()) {
    const MonoTime until = queue_.front().seen + options_.maxHold;
    if (clock_.now() >= until) return;
    lock.unlock();
    const bool busy = options_.holdWhile();
    lock.lock();
    if (!busy) return;
    // The deadline first, then the count a test may wait for.
    const MonoTime wake = std::min(clock_.now() + options_.holdCheckInterval, until);
    ++holds_;
    clock_.waitUntil(lock, cv_, wake, [&] { return stop.stop_requested(); });
  }
}

Series* AsyncEventRecorder::Impl::fold(Pending&& pending) {
  const uint64_t key = seriesHash(pending.event);
  auto [first, last] = series_.equal_range(key);
  auto it = std::find_if(first, last, [&](const auto& entry) {
    return entry.second.event.seriesBytes() == pending.event.seriesBytes();
  });
  if (it == last) it = series_.end();
  if (it != series_.end() && pending.seen - it->second.lastSeen <= options_.seriesWindow) {
    Series& s = it->second;
    ++s.count;
    s.lastObserved = pending.observed;
    s.lastSeen = pending.seen;
    s.dirty = true;
    dirty_.insert(&s);
    lru_.splice(lru_.end(), lru_, s.lru);
    // The first repeat is reported at once, as client-go does (an Event not
    // yet created in this batch is created with its count instead).
    return s.count == 2 && s.created ? &s : nullptr;
  }
  if (it != series_.end()) {  // a stale series: finish it, start a new Event
    if (it->second.dirty && it->second.created) patch(it->second);
    erase(it->second);
  }
  if (series_.size() >= options_.maxSeries) {
    // The least recently seen series that is not being written in this
    // batch (those not created yet are all in it, at the young end).
    auto oldest = std::find_if(lru_.begin(), lru_.end(),
                               [](const Series* c) { return c->created && !c->due; });
    if (oldest != lru_.end()) {
      if ((*oldest)->dirty) patch(**oldest);
      erase(**oldest);
    }
  }
  Series s;
  s.event = std::move(pending.event);
  s.firstObserved = s.lastObserved = pending.observed;
  s.lastSeen = s.lastPatched = pending.seen;
  const EventFields fields = fieldsOf(s);
  s.ns = eventNamespace(fields.regarding);
  s.name = eventName(fields.regarding, clock_.wallNow(), sequence_++);
  s.dirty = true;
  s.hash = key;
  Series& added = series_.emplace(key, std::move(s))->second;
  added.lru = lru_.insert(lru_.end(), &added);
  dirty_.insert(&added);
  return &added;
}

EventFields AsyncEventRecorder::Impl::fieldsOf(const Series& series) const {
  EventFields fields;
  if (!series.event.unpack(words_, fields)) corruptPackedObject("Event");
  return fields;
}

void AsyncEventRecorder::Impl::erase(Series& series) {
  lru_.erase(series.lru);
  dirty_.erase(&series);
  auto [first, last] = series_.equal_range(series.hash);
  for (auto it = first; it != last; ++it) {
    if (&it->second == &series) {
      series_.erase(it);
      return;
    }
  }
}

void AsyncEventRecorder::Impl::write(Series& series) {
  if (series.created) {
    patch(series);
  } else {
    series.created = create(series);
  }
}

void AsyncEventRecorder::Impl::send(const std::vector<Series*>& due, bool stopping) {
  const uint64_t failedBefore = failed_.load();
  // Each write touches only its own series; the cache is not changed meanwhile.
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < due.size();) {
      if (stopping && failed_.load() != failedBefore) {
        dropped_.fetch_add(1);
        droppedMetric_.Increment();
        continue;
      }
      write(*due[i]);
    }
  };
  const size_t threads = std::min<size_t>(std::max<size_t>(options_.senders, 1), due.size());
  std::vector<std::jthread> helpers;
  for (size_t i = 1; i < threads; ++i) helpers.emplace_back(work);
  work();  // and the sender thread itself
}

bool AsyncEventRecorder::Impl::create(Series& series) {
  auto event = buildEvent(fieldsOf(series), series.name, options_.reportingController,
                          options_.reportingInstance, series.firstObserved, series.count,
                          series.lastObserved);
  if (!event.isOk()) {
    countFailure(event.status(), "Failed to create event");
    return false;
  }
  // The recorder reads nothing of the answer: only its metadata is built.
  auto created = writer_.createText(resources::event(), series.ns, std::move(event).value(), {},
                                    metadataOnlyAnswer());
  if (!created.isOk()) {
    countFailure(created.status(), "Failed to create event");
    return false;
  }
  series.dirty = false;
  return true;
}

bool AsyncEventRecorder::Impl::patch(Series& series) {
  series.lastPatched = clock_.now();
  auto body = seriesPatch(series.count, series.lastObserved);
  if (!body.isOk()) {
    countFailure(body.status(), "Failed to update event series");
    return false;
  }
  auto patched = writer_.patchText(resources::event(), series.ns, series.name, PatchType::kMerge,
                                   std::move(body).value(), {}, metadataOnlyAnswer());
  if (patched.isOk()) {
    series.dirty = false;
    return true;
  }
  if (patched.status().code() == Code::kNotFound) {
    // The API dropped the Event (events live ~1 h): recreate it with the series.
    return create(series);
  }
  // Still dirty: retried after seriesUpdateInterval while the series lives.
  countFailure(patched.status(), "Failed to update event series");
  return false;
}

bool AsyncEventRecorder::Impl::maintain(bool all, bool stopOnFailure) {
  const MonoTime now = clock_.now();
  const std::vector<Series*> dirty(dirty_.begin(), dirty_.end());
  for (Series* s : dirty) {
    const bool expired = now - s->lastSeen > options_.seriesWindow;
    if (s->dirty && (all || expired || now >= s->lastPatched + options_.seriesUpdateInterval)) {
      if (!patch(*s) && stopOnFailure) return false;
    }
    if (!s->dirty) dirty_.erase(s);
  }
  while (!lru_.empty() && now - lru_.front()->lastSeen > options_.seriesWindow) {
    erase(*lru_.front());
  }
  return true;
}

MonoTime AsyncEventRecorder::Impl::nextWake() const {
  // Without pending series work, wake now and then to forget expired series.
  MonoTime wake = clock_.now() + options_.seriesWindow;
  for (const Series* s : dirty_) {
    if (s->dirty) wake = std::min(wake, s->lastPatched + options_.seriesUpdateInterval);
  }
  return wake;
}

void AsyncEventRecorder::Impl::countFailure(const Status& status, std::string_view what) {
  failed_.fetch_add(1);
  failedMetric_.Increment();
  log_.v(1).info(what, {{"error", status.toString()}});
}

StatusOr<std::unique_ptr<AsyncEventRecorder>> AsyncEventRecorder::create(
    Writer& writer, Clock& clock, EventRecorderOptions options) {
  if (options.reportingController.empty() || options.reportingInstance.empty()) {
    return errorStatus(Code::kInvalidArgument,
                       "event recorder: reportingController and reportingInstance are required");
  }
  if (options.reportingInstance.size() > 128 || options.reportingController.size() > 128) {
    return errorStatus(Code::kInvalidArgument,
                       "event recorder: reportingController and reportingInstance must be at "
                       "most 128 characters");
  }
  if (options.queueCapacity == 0 || options.maxSeries == 0) {
    return errorStatus(Code::kInvalidArgument,
                       "event recorder: queueCapacity and maxSeries must be positive");
  }
  return std::unique_ptr<AsyncEventRecorder>(
      new AsyncEventRecorder(std::make_unique<Impl>(writer, clock, std::move(options))));
}

AsyncEventRecorder::AsyncEventRecorder(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
AsyncEventRecorder::~AsyncEventRecorder() = default;

void AsyncEventRecorder::event(const ObjectRef& regarding, EventType type, std::string_view reason,
                               std::string_view action, std::string_view note) {
  Pending p{PackedEvent(regarding, type, reason, action, truncateNote(note), impl_->words()),
            impl_->clock().wallNow(), impl_->clock().now()};
  impl_->enqueue(std::move(p));
}

Status AsyncEventRecorder::start(std::stop_token stop) { return impl_->run(stop); }
uint64_t AsyncEventRecorder::dropped() const { return impl_->dropped(); }
uint64_t AsyncEventRecorder::failed() const { return impl_->failed(); }
uint64_t AsyncEventRecorder::processed() const { return impl_->processed(); }
uint64_t AsyncEventRecorder::peakSeries() const { return impl_->peakSeries(); }
uint64_t AsyncEventRecorder::holds() const { return impl_->holds(); }

}  // namespace ctrl
