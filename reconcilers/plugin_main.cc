// kubectl-servicetoken: `kubectl servicetoken status|download|rotate|revoke NAME`.
// Parses flags, builds the API client from the kubeconfig and runs one
// command from plugin/commands.h; exit code 0 ok, 1 error, 2 usage.
#include <iostream>

#include "controller/client.h"
#include "controller/log.h"
#include "controller/rest_config.h"
#include "controller/transport.h"
#include "plugin/cli.h"
#include "plugin/commands.h"

namespace {

namespace plugin = st::plugin;

int fail(const ctrl::Status& status) {
  std::cerr << "error: " << status.message() << "\n";
  return plugin::kExitError;
}

}  // namespace

int main(int argc, char** argv) {
  auto parsed = plugin::parseArgs(argc, argv);
  if (!parsed.isOk()) {
    std::cerr << "error: " << parsed.status().message()
              << "\nRun 'kubectl servicetoken --help' for usage.\n";
    return plugin::kExitUsage;
  }
  if (parsed->exit) {
    std::cout << parsed->output;
    return parsed->exitCode;
  }
  const plugin::PluginArgs& args = parsed->args;
  // Only warnings and errors of the runtime (e.g. retries) reach stderr;
  // stdout stays the command's own output.
  if (auto s = ctrl::log::setupLogging("text", "warn"); !s.isOk()) return fail(s);

  ctrl::KubeconfigOptions kubeconfig;
  kubeconfig.path = args.kubeconfig;  // "" = $KUBECONFIG, else ~/.kube/config
  kubeconfig.context = args.context;
  auto config = ctrl::loadKubeconfig(kubeconfig);
  if (!config.isOk()) return fail(config.status());
  config->userAgent = "kubectl-servicetoken/0.1.0";
  auto transport = ctrl::makeCppRestTransport(*config);
  if (!transport.isOk()) return fail(transport.status());
  ctrl::ClientOptions clientOptions;
  clientOptions.maxReadAttempts = 3;  // a person is waiting: give up sooner than the operator
  clientOptions.fieldManager = "kubectl-servicetoken";
  auto client = ctrl::makeClient(std::move(transport).value(), *config, clientOptions);

  const plugin::Target target{plugin::resolveNamespace(args, config->ns), args.name};
  ctrl::Status result;
  switch (args.command) {
    case plugin::Command::kStatus:
      result = plugin::showStatus(*client, ctrl::RealClock::instance(), target, std::cout);
      break;
    case plugin::Command::kDownload:
      result = plugin::downloadToken(*client, target, {args.outputDir, args.force}, std::cout);
      break;
    case plugin::Command::kRotate:
      result = plugin::requestRotation(*client, ctrl::RealClock::instance(), target, std::cout);
      break;
    case plugin::Command::kRevoke:
      result = plugin::revokeToken(*client, target, std::cout);
      break;
    case plugin::Command::kRotateSigningKey:
      result = plugin::requestSigningKeyRotation(*client, ctrl::RealClock::instance(),
                                                 {args.operatorNamespace, args.signingKeySecret},
                                                 args.retireOld, std::cout);
      break;
  }
  std::cout.flush();
  if (!result.isOk()) return fail(result);
  return plugin::kExitOk;
}
