// The kubectl-servicetoken command line:
//   kubectl servicetoken status NAME
//   kubectl servicetoken download NAME [--output-dir DIR] [--force]
//   kubectl servicetoken rotate NAME
//   kubectl servicetoken revoke NAME
//   kubectl servicetoken rotate-signing-key [--retire-old]
//       [--operator-namespace NS] [--signing-key-secret NAME]
// with --kubeconfig, --context and -n/--namespace accepted before or after
// the command (kubectl hands everything after the plugin name to the plugin).
#pragma once

#include <string>

#include "controller/status.h"

namespace st::plugin {

enum class Command { kStatus, kDownload, kRotate, kRevoke, kRotateSigningKey };

struct PluginArgs {
  Command command = Command::kStatus;
  std::string name;             // the ServiceToken
  std::string kubeconfig;       // "" = $KUBECONFIG, else ~/.kube/config
  std::string context;          // "" = current-context
  std::string ns;               // "" = the context's namespace, else "default"
  std::string outputDir = ".";  // download
  bool force = false;           // download
  bool retireOld = false;       // rotate-signing-key
  std::string operatorNamespace = "servicetoken-system";       // rotate-signing-key
  std::string signingKeySecret = "servicetoken-signing-keys";  // rotate-signing-key
};

struct ParsedArgs {
  PluginArgs args;
  bool exit = false;  // --help was handled: print `output`, exit with exitCode
  int exitCode = 0;
  std::string output;
};

// Parses argv (argv[0] is the program). Errors: InvalidArgument with CLI11's
// message, which names the flag or the missing argument (exit code 2).
ctrl::StatusOr<ParsedArgs> parseArgs(int argc, const char* const* argv);

// The namespace to act in, as kubectl picks it: `args.ns` (-n) when given,
// else `contextNamespace` (the kubeconfig context's, ctrl::RestConfig::ns)
// when set, else "default".
std::string resolveNamespace(const PluginArgs& args, const std::string& contextNamespace);

}  // namespace st::plugin
