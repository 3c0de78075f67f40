// Building a RestConfig from a kubeconfig file or from the in-cluster
// environment, like client-go's clientcmd and rest.InClusterConfig.
#pragma once

#include <string>
#include <string_view>

#include "controller/clock.h"
#include "controller/status.h"
#include "controller/transport.h"

namespace ctrl {

struct KubeconfigOptions {
  std::string path;     // "" = $KUBECONFIG, else ~/.kube/config
  std::string context;  // "" = current-context
  size_t maxBytes = 4 << 20;
  // Decides when a tokenFile is due for a re-read; nullptr means
  // RealClock::instance(). Must outlive the returned RestConfig.
  const Clock* clock = nullptr;
};

// Loads the given context. Supports certificate-authority(-data),
// client-certificate(-data), client-key(-data), token, tokenFile (read at
// load, then re-read at most once a minute so a rotated token is picked up),
// insecure-skip-tls-verify (honoured only when the file says so), and the
// context's namespace (RestConfig::ns). Relative file paths resolve against
// the kubeconfig's directory. Errors:
// InvalidArgument with a message naming the file and field for malformed or
// unsupported content (exec and auth-provider plugins are named explicitly),
// NotFound when the file or context does not exist. Never crashes on bad input
// and never puts key or token material into a message.
StatusOr<RestConfig> loadKubeconfig(const KubeconfigOptions& options);

// Parses kubeconfig text (as loadKubeconfig, with `baseDir` for relative
// paths and `clock` as KubeconfigOptions::clock).
StatusOr<RestConfig> parseKubeconfig(std::string_view yamlText, std::string_view context,
                                     std::string_view baseDir, const Clock* clock = nullptr);

struct InClusterOptions {
  std::string tokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token";
  std::string caFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  // Decides when the token file is due for a re-read; nullptr means
  // RealClock::instance(). Must outlive the returned RestConfig. Tests pass a
  // FakeClock.
  const Clock* clock = nullptr;
};

// From KUBERNETES_SERVICE_HOST/PORT, the mounted CA and token. The token file
// is re-read when it changes (checked at most once a minute, like client-go),
// so projected-token rotation works. Errors: NotFound when not in a cluster.
StatusOr<RestConfig> inClusterConfig(const InClusterOptions& options = {});

}  // namespace ctrl
