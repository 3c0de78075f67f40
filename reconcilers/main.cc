// servicetoken-operator: flags, logging, cluster config, signals; the rest is
// st::Operator (operator/operator.h).
#include <malloc.h>

#include <iostream>

#include "controller/log.h"
#include "controller/rest_config.h"
#include "controller/signals.h"
#include "controller/transport.h"
#include "operator/operator.h"
#include "operator/probe.h"
#include "policy/lifetime.h"

namespace {

// --kubeconfig, else $KUBECONFIG, else in-cluster, else ~/.kube/config.
ctrl::StatusOr<ctrl::RestConfig> restConfig(const st::OperatorOptions& o) {
  if (o.kubeconfig.empty() && std::getenv("KUBECONFIG") == nullptr) {
    auto inCluster = ctrl::inClusterConfig();
    if (inCluster.isOk() || inCluster.status().code() != ctrl::Code::kNotFound) return inCluster;
  }
  ctrl::KubeconfigOptions k;
  k.path = o.kubeconfig;
  k.context = o.context;
  return ctrl::loadKubeconfig(k);
}

// "*" for all namespaces, else the comma-separated list.
std::string watchedNamespaces(const st::OperatorOptions& o) {
  std::string out;
  for (const std::string& ns : o.watchNamespaces) out += (out.empty() ? "" : ",") + ns;
  return out.empty() ? "*" : out;
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena (up to 8 per core),
  // and each keeps what its thread freed: with eight workers, four event
  // senders, the informers and cpprest's pool, the transient JSON of a
  // 10,000-token burst stayed resident next to the cache. Two arenas
  // suffice: every thread's allocations are small and short-lived.
  mallopt(M_ARENA_MAX, 2);
  // A fixed mmap threshold: buffers of 128 KiB and more (LIST pages, watch
  // and request bodies) are mapped and unmapped on their own instead of
  // glibc raising the threshold after the first such free and keeping the
  // next ones in the heap, between cached objects, where they stay resident.
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
  auto parsed = st::parseOptions(argc, argv);
  if (!parsed.isOk()) {
    std::cerr << parsed.status().message() << "\nRun with --help for usage.\n";
    return 2;
  }
  if (parsed->exit) {
    std::cout << parsed->output;
    return parsed->exitCode;
  }
  const st::OperatorOptions& options = parsed->options;
  if (!options.probeUrl.empty()) return st::runProbe(options.probeUrl, std::cout, std::cerr);
  if (auto s = ctrl::log::setupLogging(options.logFormat, options.logLevel); !s.isOk()) {
    std::cerr << s.message() << "\n";
    return 2;
  }
  std::stop_source stop = ctrl::installSignalHandlers();

  auto config = restConfig(options);
  if (!config.isOk()) {
    ctrl::log::error(config.status(), "Failed to load cluster configuration");
    return 1;
  }
  config->qps = options.qps;
  config->burst = options.burst;
  config->userAgent = "servicetoken-operator/0.1.0";
  auto transport = options.httpTransport == "cpprest" ? ctrl::makeCppRestTransport(*config)
                                                      : ctrl::makeTransport(*config);
  if (!transport.isOk()) {
    ctrl::log::error(transport.status(), "Failed to set up the API transport");
    return 1;
  }
  // Every object is decoded into a typed struct; none reads managedFields.
  ctrl::ClientOptions clientOptions;
  clientOptions.dropManagedFields = true;
  auto client = ctrl::makeClient(std::move(transport).value(), *config, clientOptions);

  st::OperatorDeps deps;
  deps.client = client.get();
  deps.stop = stop.get_token();
  deps.httpServerFactory = ctrl::makeCppRestHttpServer;
  deps.httpsServerFactory = ctrl::makeCppRestHttpsServer;
  std::unique_ptr<ctrl::SkewedClock> skewed;
  if (!options.clockSkew.empty()) {  // benchmarks only (options.h)
    auto skew = st::parseDuration(options.clockSkew);
    if (!skew.isOk()) {
      std::cerr << "--clock-skew: " << skew.status().message() << "\n";
      return 2;
    }
    skewed = std::make_unique<ctrl::SkewedClock>(*skew);
    deps.clock = skewed.get();
  }
  auto op = st::Operator::create(options, deps);
  if (!op.isOk()) {
    ctrl::log::error(op.status(), "Failed to start");
    return 1;
  }
  ctrl::log::info("Starting servicetoken-operator",
                  {{"namespace", options.ns},
                   {"watchNamespaces", watchedNamespaces(options)},
                   {"leaderElect", options.leaderElect},
                   {"workers", options.workers}});
  ctrl::Status result = (*op)->run(stop.get_token());
  if (!result.isOk()) {
    ctrl::log::error(result, "Stopped with an error");
    return 1;
  }
  ctrl::log::info("Stopped", {});
  return 0;
}
