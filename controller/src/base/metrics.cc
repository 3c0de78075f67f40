#include "controller/metrics.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

namespace ctrl {

std::shared_ptr<prometheus::Registry> metricsRegistry() {
  // Merge (the default) lets every component register a family by name and get
  // the existing one back, so several queues or controllers share a family and
  // differ only by label values.
  static const auto registry =
      std::make_shared<prometheus::Registry>(prometheus::Registry::InsertBehavior::Merge);
  return registry;
}

std::string renderMetrics(const prometheus::Registry& registry) {
  const prometheus::TextSerializer serializer;
  return serializer.Serialize(registry.Collect());
}

}  // namespace ctrl
