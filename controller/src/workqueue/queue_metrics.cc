#include "workqueue/queue_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <algorithm>

#include "controller/metrics.h"

namespace ctrl::workqueue {
namespace {

double seconds(Duration d) { return std::chrono::duration<double>(d).count(); }

// controller-runtime's buckets: 10 ns to 1000 s, factor 10.
prometheus::Histogram::BucketBoundaries durationBuckets() {
  prometheus::Histogram::BucketBoundaries buckets;
  double bound = 10e-9;
  for (int i = 0; i < 12; ++i, bound *= 10) buckets.push_back(bound);
  return buckets;
}

}  // namespace

QueueMetrics::QueueMetrics(const std::string& name, Clock& clock) : clock_(clock) {
  if (name.empty()) return;
  auto& registry = *metricsRegistry();
  const prometheus::Labels labels{{"name", name}};
  depth_ = &prometheus::BuildGauge()
                .Name("workqueue_depth")
                .Help("Current depth of workqueue")
                .Register(registry)
                .Add(labels);
  adds_ = &prometheus::BuildCounter()
               .Name("workqueue_adds_total")
               .Help("Total number of adds handled by workqueue")
               .Register(registry)
               .Add(labels);
  queueDuration_ =
      &prometheus::BuildHistogram()
           .Name("workqueue_queue_duration_seconds")
           .Help("How long in seconds an item stays in workqueue before being requested")
           .Register(registry)
           .Add(labels, durationBuckets());
  workDuration_ = &prometheus::BuildHistogram()
                       .Name("workqueue_work_duration_seconds")
                       .Help("How long in seconds processing an item from workqueue takes.")
                       .Register(registry)
                       .Add(labels, durationBuckets());
  retries_ = &prometheus::BuildCounter()
                  .Name("workqueue_retries_total")
                  .Help("Total number of retries handled by workqueue")
                  .Register(registry)
                  .Add(labels);
  unfinishedWork_ = &prometheus::BuildGauge()
                         .Name("workqueue_unfinished_work_seconds")
                         .Help(
                             "How many seconds of work has been done that is in progress and "
                             "hasn't been observed by work_duration. Large values indicate stuck "
                             "threads. One can deduce the number of stuck threads by observing "
                             "the rate at which this increases.")
                         .Register(registry)
                         .Add(labels);
  longestRunning_ = &prometheus::BuildGauge()
                         .Name("workqueue_longest_running_processor_seconds")
                         .Help(
                             "How many seconds has the longest running processor for workqueue "
                             "been running.")
                         .Register(registry)
                         .Add(labels);
}

void QueueMetrics::added(const std::string& key) {
  if (!enabled()) return;
  adds_->Increment();
  depth_->Increment();
  addTimes_.try_emplace(key, clock_.now());
}

void QueueMetrics::gotten(const std::string& key) {
  if (!enabled()) return;
  const MonoTime now = clock_.now();
  depth_->Decrement();
  processingStartTimes_[key] = now;
  if (auto it = addTimes_.find(key); it != addTimes_.end()) {
    queueDuration_->Observe(seconds(now - it->second));
    addTimes_.erase(it);
  }
}

void QueueMetrics::finished(const std::string& key) {
  if (!enabled()) return;
  if (auto it = processingStartTimes_.find(key); it != processingStartTimes_.end()) {
    workDuration_->Observe(seconds(clock_.now() - it->second));
    processingStartTimes_.erase(it);
  }
}

void QueueMetrics::retried() {
  if (enabled()) retries_->Increment();
}

void QueueMetrics::updateUnfinishedWork() {
  if (!enabled()) return;
  const MonoTime now = clock_.now();
  double total = 0;
  double longest = 0;
  for (const auto& [key, start] : processingStartTimes_) {
    const double running = seconds(now - start);
    total += running;
    longest = std::max(longest, running);
  }
  unfinishedWork_->Set(total);
  longestRunning_->Set(longest);
}

}  // namespace ctrl::workqueue
