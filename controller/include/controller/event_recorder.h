// Kubernetes Events (events.k8s.io/v1) about our objects, recorded
// asynchronously: event() only enqueues and never blocks a reconciler; one
// sender (the recorder's Runnable thread) writes them to the API.
//
// Repeats are aggregated as the events.k8s.io API intends: the same
// (regarding object, reason, action, type, note) seen again within
// seriesWindow does not create another Event; the existing Event's `series`
// {count, lastObservedTime} is patched instead (at once for the first repeat,
// then at most every seriesUpdateInterval, and on stop).
//
// CONTRACT — no secrets: events are readable by anyone who may list events in
// the namespace and are kept by the API server for an hour or more. Callers
// must never pass token material, keys, or request/response bodies in any
// field (reason, action, note, object reference). The recorder does not
// inspect or redact what it is given.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <stop_token>
#include <string>
#include <string_view>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/pack.h"
#include "controller/runnable.h"
#include "controller/status.h"

namespace ctrl {

// The object an Event is about (the Event's `regarding`). For a namespaced
// object the Event is written to its namespace; for a cluster-scoped one
// (empty ns) to "default".
struct ObjectRef {
  std::string kind;        // "ServiceToken"
  std::string apiVersion;  // "servicetoken.dev/v1alpha1"
  std::string ns;
  std::string name;
  std::string uid;
  std::string resourceVersion;
};

enum class EventType { kNormal, kWarning };

// What reconcilers depend on (mock it in their tests).
class EventRecorder {
 public:
  virtual ~EventRecorder() = default;
  // Records an event. `reason` is PascalCase and short ("Issued"), `action`
  // what was done ("IssueToken"), `note` a human sentence (truncated to
  // 1024 bytes at a UTF-8 boundary). Never blocks and never fails: when the
  // queue is full the event is dropped and counted. Thread-safe.
  // MUST NOT carry secrets (see the file comment).
  virtual void event(const ObjectRef& regarding, EventType type, std::string_view reason,
                     std::string_view action, std::string_view note) = 0;
};

struct EventRecorderOptions {
  // events.k8s.io reportingController, e.g. "servicetoken.dev/operator".
  std::string reportingController;
  // reportingInstance, e.g. the pod name (at most 128 characters).
  std::string reportingInstance;
  // Events waiting to be sent; more are dropped (and counted).
  size_t queueCapacity = 1000;
  // API writes (Event creates, series patches) in flight at once: a burst
  // of events goes out this many at a time.
  size_t senders = 4;
  // A repeat within this time of the last occurrence joins the series;
  // later, a new Event is created (client-go: 6 minutes).
  Duration seriesWindow = std::chrono::minutes(6);
  // Minimum time between two series patches of the same Event (the first
  // repeat is patched at once).
  Duration seriesUpdateInterval = std::chrono::seconds(30);
  // Series remembered at once; the least recently seen is forgotten first.
  // A batch takes at most half this many events from the queue, so the
  // series of one batch never crowd out the cache (the rest wait queued).
  size_t maxSeries = 4096;
  // Strings common in this process's events (kinds, apiVersions, reasons,
  // actions): queued events and remembered series are kept packed
  // (controller/pack.h), each of these as one byte. Null: a small built-in
  // list. Must outlive the recorder.
  const PackDictionary* words = nullptr;
  // Events are informational; the objects' own writes matter more. While
  // this returns true (e.g. "reconciles are waiting"), the sender holds the
  // queued events back, asking again every holdCheckInterval, but never
  // longer than maxHold after the oldest queued event was recorded. Empty:
  // never hold. Called on the sender thread; must be cheap and thread-safe.
  std::function<bool()> holdWhile;
  Duration holdCheckInterval = std::chrono::milliseconds(200);
  Duration maxHold = std::chrono::minutes(2);
};

// The events.k8s.io/v1 recorder. Counters event_recorder_dropped_total and
// event_recorder_failed_total are exported in metricsRegistry().
class AsyncEventRecorder final : public EventRecorder, public Runnable {
 public:
  // `writer` and `clock` must outlive the recorder. Errors: InvalidArgument
  // for an empty reportingController/reportingInstance or zero capacity.
  static StatusOr<std::unique_ptr<AsyncEventRecorder>> create(Writer& writer, Clock& clock,
                                                              EventRecorderOptions options);
  ~AsyncEventRecorder() override;
  AsyncEventRecorder(const AsyncEventRecorder&) = delete;
  AsyncEventRecorder& operator=(const AsyncEventRecorder&) = delete;

  // See EventRecorder. Events recorded before start() wait in the queue;
  // after start() returned they are dropped.
  void event(const ObjectRef& regarding, EventType type, std::string_view reason,
             std::string_view action, std::string_view note) override;

  // Sends queued events until `stop` is requested; then sends what is still
  // queued and the series counts not yet sent, stopping at the first failed
  // request (the rest is dropped: shutdown must not wait out one timeout per
  // event), and returns OK. API errors are counted and logged (v=1), never
  // returned; a failed series update is retried after seriesUpdateInterval,
  // and an Event the API no longer has is recreated with its series. Called
  // at most once; destroy the recorder only after it returned.
  Status start(std::stop_token stop) override;
  std::string name() const override { return "event-recorder"; }

  // Events dropped because the queue was full (or recorded after stop).
  uint64_t dropped() const;
  // Events the API rejected or that could not be sent.
  uint64_t failed() const;
  // Events taken from the queue and handled (sent, aggregated or failed).
  uint64_t processed() const;
  // Times the sender held queued events back because holdWhile said so.
  uint64_t holds() const;
  // The most series remembered at once so far, counted after each batch is
  // folded: at most maxSeries, also when a stop sends a full queue.
  uint64_t peakSeries() const;

 private:
  class Impl;
  explicit AsyncEventRecorder(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrl
