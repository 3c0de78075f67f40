// servicetoken-verifier: flags, logging, cluster config, signals; the rest is
// st::verifier::Verifier (verifier/verifier.h).
#include <malloc.h>

#include <iostream>

#include "controller/log.h"
#include "controller/rest_config.h"
#include "controller/signals.h"
#include "controller/transport.h"
#include "verifier/verifier.h"

namespace {

// --kubeconfig, else $KUBECONFIG, else in-cluster, else ~/.kube/config.
ctrl::StatusOr<ctrl::RestConfig> restConfig(const st::verifier::VerifierOptions& o) {
  if (o.kubeconfig.empty() && std::getenv("KUBECONFIG") == nullptr) {
    auto inCluster = ctrl::inClusterConfig();
    if (inCluster.isOk() || inCluster.status().code() != ctrl::Code::kNotFound) return inCluster;
  }
  ctrl::KubeconfigOptions k;
  k.path = o.kubeconfig;
  k.context = o.context;
  return ctrl::loadKubeconfig(k);
}

}  // namespace

int main(int argc, char** argv) {
  // glibc gives each thread that allocates its own arena; with the client's
  // and the server's thread pools that kept ~50 MiB of freed LIST parsing
  // resident next to a 13 MiB cache of 10,000 tokens. Two arenas suffice:
  // the request path allocates little and briefly.
  mallopt(M_ARENA_MAX, 2);
  auto parsed = st::verifier::parseVerifierOptions(argc, argv);
  if (!parsed.isOk()) {
    std::cerr << parsed.status().message() << "\nRun with --help for usage.\n";
    return 2;
  }
  if (parsed->exit) {
    std::cout << parsed->output;
    return parsed->exitCode;
  }
  const st::verifier::VerifierOptions& options = parsed->options;
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
  config->userAgent = "servicetoken-verifier/0.1.0";
  auto transport = ctrl::makeCppRestTransport(*config);
  if (!transport.isOk()) {
    ctrl::log::error(transport.status(), "Failed to set up the API transport");
    return 1;
  }
  // Every object is decoded into a typed record; none reads managedFields.
  ctrl::ClientOptions clientOptions;
  clientOptions.dropManagedFields = true;
  auto client = ctrl::makeClient(std::move(transport).value(), *config, clientOptions);

  st::verifier::VerifierDeps deps;
  deps.client = client.get();
  auto verifier = st::verifier::Verifier::create(options, deps);
  if (!verifier.isOk()) {
    ctrl::log::error(verifier.status(), "Failed to start");
    return 1;
  }
  ctrl::log::info(
      "Starting servicetoken-verifier",
      {{"namespace", options.ns},
       {"watchNamespace", options.watchNamespace.empty() ? "*" : options.watchNamespace},
       {"bindAddress", options.bindAddress},
       {"tls", !options.tlsCertFile.empty()},
       {"issuer", options.issuerUrl},
       {"audience", options.audience}});
  ctrl::Status result = (*verifier)->run(stop.get_token());
  if (!result.isOk()) {
    ctrl::log::error(result, "Stopped with an error");
    return 1;
  }
  ctrl::log::info("Stopped", {});
  return 0;
}
