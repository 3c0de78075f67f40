// The workqueue_* series of one queue, under controller-runtime's names and
// label name=<queue>. A queue without a name gets a disabled instance whose
// methods do nothing.
//
// Not thread-safe: the queue calls every method under its own lock.
#pragma once

#include <string>
#include <unordered_map>

#include "controller/clock.h"

namespace prometheus {
class Counter;
class Gauge;
class Histogram;
}  // namespace prometheus

namespace ctrl::workqueue {

class QueueMetrics {
 public:
  QueueMetrics(const std::string& name, Clock& clock);
  QueueMetrics(const QueueMetrics&) = delete;
  QueueMetrics& operator=(const QueueMetrics&) = delete;

  bool enabled() const { return depth_ != nullptr; }

  // `key` became dirty (queued, or marked to be queued again after done()).
  void added(const std::string& key);
  // `key` was handed to a worker.
  void gotten(const std::string& key);
  // The worker finished `key`.
  void finished(const std::string& key);
  // A rate-limited re-add.
  void retried();
  // Recomputes the gauges about work in flight; the queue calls it
  // periodically because they change without any queue operation.
  void updateUnfinishedWork();

 private:
  Clock& clock_;
  prometheus::Gauge* depth_ = nullptr;
  prometheus::Counter* adds_ = nullptr;
  prometheus::Histogram* queueDuration_ = nullptr;
  prometheus::Histogram* workDuration_ = nullptr;
  prometheus::Counter* retries_ = nullptr;
  prometheus::Gauge* unfinishedWork_ = nullptr;
  prometheus::Gauge* longestRunning_ = nullptr;
  std::unordered_map<std::string, MonoTime> addTimes_;
  std::unordered_map<std::string, MonoTime> processingStartTimes_;
};

}  // namespace ctrl::workqueue
