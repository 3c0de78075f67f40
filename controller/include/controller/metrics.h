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

// Renders `registry` in the Prometheus text exposition format (version 0.0.4).
std::string renderMetrics(const prometheus::Registry& registry);

}  // namespace ctrl
