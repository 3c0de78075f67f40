// A real local control plane for integration and e2e tests: etcd +
// kube-apiserver (+ kube-controller-manager on request), started through
// hack/control-plane.sh `run` on free loopback ports. The script dies with the
// test process (parent-death signal), so even a killed test leaves no process,
// port or directory behind.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "controller/status.h"
#include "subprocess.h"

namespace sttest {

struct ControlPlaneOptions {
  // garbage-collector, namespace, clusterrole-aggregation, validatingadmissionpolicy-status
  bool withControllerManager = false;
  std::vector<std::string> apiserverArgs;  // extra kube-apiserver flags
  // An audit log of every write to Secrets and ServiceTokens (auditLogPath()).
  bool audit = false;
  // When set, kube-apiserver authenticates bearer tokens through this
  // TokenReview webhook (authentication.k8s.io/v1, no answer caching),
  // trusting `tokenWebhookCaFile` for its serving certificate.
  std::string tokenWebhookUrl;
  std::string tokenWebhookCaFile;
  // Audiences kube-apiserver accepts besides its service-account issuer's
  // (--api-audiences); a TokenReview webhook sees them in spec.audiences.
  std::vector<std::string> apiAudiences;
};

class ControlPlane {
 public:
  // Starts a plane and waits (up to 3 minutes, for a first build of the
  // binaries) until the API answers and the default namespace exists.
  static ctrl::StatusOr<std::unique_ptr<ControlPlane>> start(const ControlPlaneOptions& options);
  ~ControlPlane();  // stops everything and removes the temp directory
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  // Admin kubeconfig (system:masters client certificate).
  const std::string& kubeconfig() const { return kubeconfig_; }
  // https://127.0.0.1:PORT
  std::string server() const;
  // etcd's client URL, e.g. for POST {url}/v3/kv/compaction.
  std::string etcdUrl() const;
  // The directory holding pki/ (ca.crt, admin.crt, admin.key, sa.key) and logs/.
  const std::string& dir() const { return dir_; }

  // Stops kube-apiserver (etcd keeps running) / starts it again and waits
  // until it is ready. For reconnect tests.
  ctrl::Status stopApiserver();
  ctrl::Status startApiserver();
  // SIGKILLs etcd and starts it again on its data; returns once it answers.
  ctrl::Status restartEtcd();
  // The audit log (JSON lines) when started with `audit`.
  std::string auditLogPath() const { return dir_ + "/logs/audit.log"; }

  // Applies the project's CRDs (crds/) and waits until they are Established.
  // Errors: the failing kubectl call's stderr, as Internal.
  ctrl::Status installCrds() const;

  // Runs the hack-built kubectl against this plane as admin.
  ProcessResult kubectl(const std::vector<std::string>& args, const std::string& input = "") const;
  // Path of the kubectl binary.
  static std::string kubectlPath();
  // Path of the helm binary.
  static std::string helmPath();

 private:
  ControlPlane() = default;
  ctrl::Status waitForState(const std::string& want, int timeoutSeconds,
                            const std::string& file = "apiserver-state");
  std::string dir_;
  std::string kubeconfig_;
  int pid_ = -1;
};

// One plane per test binary, started on first use and stopped when the binary
// exits (a registered GoogleTest environment). Without controller-manager
// unless `withControllerManager` is asked for at first use.
ControlPlane& sharedControlPlane(const ControlPlaneOptions& options = {});

}  // namespace sttest
