#include "plugin/cli.h"

#include <CLI/CLI.hpp>

namespace st::plugin {

ctrl::StatusOr<ParsedArgs> parseArgs(int argc, const char* const* argv) {
  ParsedArgs parsed;
  PluginArgs& a = parsed.args;
  CLI::App app{
      "Inspect, download, rotate and revoke ServiceTokens (servicetoken.dev), and "
      "rotate the operator's signing key",
      "kubectl servicetoken"};
  // Set before adding subcommands (inherited): global flags may follow the command.
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--kubeconfig", a.kubeconfig,
                 "Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config)");
  app.add_option("--context", a.context, "The kubeconfig context to use");
  app.add_option("-n,--namespace", a.ns,
                 "Namespace of the ServiceToken (default: the context's namespace, else default)");

  CLI::App* status =
      app.add_subcommand("status", "Show a ServiceToken's state, schedule and conditions");
  status->add_option("NAME", a.name, "The ServiceToken")->required();

  CLI::App* download =
      app.add_subcommand("download", "Write the token to <display-name>-token.txt (mode 0600)");
  download->add_option("NAME", a.name, "The ServiceToken")->required();
  download->add_option("--output-dir", a.outputDir, "Directory to write the file into")
      ->capture_default_str();
  download->add_flag("--force", a.force,
                     "Replace an existing file, and download even when the token is not Active");

  CLI::App* rotate =
      app.add_subcommand("rotate", "Ask the operator to rotate the token now (once)");
  rotate->add_option("NAME", a.name, "The ServiceToken")->required();

  CLI::App* revoke = app.add_subcommand(
      "revoke", "Revoke the token for good: spec.revoked=true (cannot be undone)");
  revoke->add_option("NAME", a.name, "The ServiceToken")->required();

  CLI::App* rotateKey = app.add_subcommand(
      "rotate-signing-key",
      "Ask the operator to rotate its token-signing key now (admins: needs patch on the key "
      "Secret)");
  rotateKey->add_flag("--retire-old", a.retireOld,
                      "A compromise: withdraw the old keys from the JWKS at once and re-mint "
                      "every token they signed");
  rotateKey
      ->add_option("--operator-namespace", a.operatorNamespace,
                   "The operator's namespace, where its signing-key Secret is")
      ->capture_default_str();
  rotateKey
      ->add_option("--signing-key-secret", a.signingKeySecret,
                   "The signing-key Secret (the operator's --signing-key-secret)")
      ->capture_default_str();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp&) {
    parsed.exit = true;
    parsed.output = app.help();
    return parsed;
  } catch (const CLI::ParseError& e) {
    return ctrl::errorStatus(ctrl::Code::kInvalidArgument, e.what());
  }
  if (download->parsed()) {
    a.command = Command::kDownload;
  } else if (rotate->parsed()) {
    a.command = Command::kRotate;
  } else if (revoke->parsed()) {
    a.command = Command::kRevoke;
  } else if (rotateKey->parsed()) {
    a.command = Command::kRotateSigningKey;
  } else {
    a.command = Command::kStatus;
  }
  return parsed;
}

std::string resolveNamespace(const PluginArgs& args, const std::string& contextNamespace) {
  if (!args.ns.empty()) return args.ns;
  if (!contextNamespace.empty()) return contextNamespace;
  return "default";
}

}  // namespace st::plugin
