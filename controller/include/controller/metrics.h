// The process-wide Prometheus registry. Metric names follow
// controller-runtime's (workqueue_*, rest_client_requests_total,
// controller_runtime_reconcile_*, leader_election_master_status) so existing
// dashboards and alerts work.
#pragma once

#include <memory>
#include <string>

namespace prometheus {
class Registry;
}

namespace ctrl {

// The shared registry. Thread-safe. Tests may read it but should use fresh
// label values rather than reset it.
std::shared_ptr<prometheus::Registry> metricsRegistry();

// Renders `registry` in the Prometheus text exposition format (version 0.0.4),
// followed by the text collectors added for it.
std::string renderMetrics(const prometheus::Registry& registry);

// Series a registry does not hold itself (e.g. one gauge per cached object,
// kept compactly: see GaugeTable), rendered by renderMetrics() after the
// registry's own families.
class TextCollector {
 public:
  virtual ~TextCollector() = default;
  // Appends whole families (HELP, TYPE, samples) in the text exposition
  // format; nothing for a family without samples. Thread-safe.
  virtual void render(std::string& out) const = 0;
};

// Makes renderMetrics(registry) render `collector` too, for as long as the
// collector lives (it is held weakly). Thread-safe.
void addTextCollector(const prometheus::Registry& registry,
                      std::weak_ptr<const TextCollector> collector);

}  // namespace ctrl
