#include "controller/metrics.h"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>

#include <mutex>
#include <utility>
#include <vector>

namespace ctrl {

std::shared_ptr<prometheus::Registry> metricsRegistry() {
  // Merge (the default) lets every component register a family by name and get
  // the existing one back, so several queues or controllers share a family and
  // differ only by label values.
  static const auto registry =
      std::make_shared<prometheus::Registry>(prometheus::Registry::InsertBehavior::Merge);
  return registry;
}

namespace {

struct Collectors {
  std::mutex mu;
  std::vector<std::pair<const prometheus::Registry*, std::weak_ptr<const TextCollector>>> all;
};

Collectors& collectors() {
  static Collectors c;
  return c;
}

}  // namespace

void addTextCollector(const prometheus::Registry& registry,
                      std::weak_ptr<const TextCollector> collector) {
  Collectors& c = collectors();
  std::lock_guard lock(c.mu);
  std::erase_if(c.all, [](const auto& entry) { return entry.second.expired(); });
  c.all.emplace_back(&registry, std::move(collector));
}

std::string renderMetrics(const prometheus::Registry& registry) {
  const prometheus::TextSerializer serializer;
  std::string out = serializer.Serialize(registry.Collect());
  std::vector<std::shared_ptr<const TextCollector>> extra;
  {
    Collectors& c = collectors();
    std::lock_guard lock(c.mu);
    for (const auto& [r, weak] : c.all) {
      if (r != &registry) continue;
      if (auto collector = weak.lock()) extra.push_back(std::move(collector));
    }
  }
  // Rendered outside the lock: a collector takes its own.
  for (const auto& collector : extra) collector->render(out);
  return out;
}

}  // namespace ctrl
