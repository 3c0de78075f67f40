// Smoke tests proving the local control plane is real and usable: the real
// kube-apiserver version, CRDs, RBAC with ServiceAccount tokens, and garbage
// collection by kube-controller-manager.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

#include "control_plane.h"
#include "mocks/eventually.h"

namespace sttest {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// Conditions here run kubectl: poll them at most twice a second.
constexpr std::chrono::milliseconds kKubectlPause{500};

ControlPlane& plane() {
  ControlPlaneOptions options;
  options.withControllerManager = true;
  return sharedControlPlane(options);
}

TEST(ControlPlaneSmoke, VersionIsTheRealKubeApiserver) {
  ProcessResult r = plane().kubectl({"get", "--raw", "/version"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  auto version = nlohmann::json::parse(r.out);
  EXPECT_THAT(version.at("gitVersion").get<std::string>(), StartsWith("v1.37."));
  EXPECT_EQ(version.at("major").get<std::string>(), "1");
  EXPECT_EQ(version.at("minor").get<std::string>(), "37");
}

TEST(ControlPlaneSmoke, CustomResourceDefinitionBecomesEstablishedAndServesObjects) {
  const std::string crd = R"(
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.smoke.servicetoken.dev
spec:
  group: smoke.servicetoken.dev
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size: {type: integer, minimum: 1}
)";
  ProcessResult r = plane().kubectl({"apply", "-f", "-"}, crd);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  r = plane().kubectl({"wait", "--for=condition=Established", "--timeout=60s",
                       "crd/widgets.smoke.servicetoken.dev"});
  ASSERT_EQ(r.exitCode, 0) << r.err;

  const std::string widget = R"(
apiVersion: smoke.servicetoken.dev/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
)";
  // Discovery of a just-established CRD can lag by a moment in kubectl's cache.
  ASSERT_TRUE(eventually(
      [&] {
        return plane().kubectl({"apply", "-f", "-"}, widget).exitCode == 0;
      },
      std::chrono::seconds(30), kKubectlPause));
  r = plane().kubectl({"get", "widgets.smoke.servicetoken.dev", "w1", "-n", "default", "-o",
                       "jsonpath={.spec.size}"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_EQ(r.out, "3");

  // The structural schema is enforced by the server.
  r = plane().kubectl({"apply", "-f", "-"},
                      "apiVersion: smoke.servicetoken.dev/v1\nkind: Widget\n"
                      "metadata: {name: w2, namespace: default}\nspec: {size: 0}\n");
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("spec.size"));
}

TEST(ControlPlaneSmoke, ServiceAccountTokenIsForbiddenUntilRbacGrantsAccess) {
  ControlPlane& cp = plane();
  ASSERT_EQ(cp.kubectl({"create", "namespace", "rbac-smoke"}).exitCode, 0);
  ASSERT_EQ(cp.kubectl({"create", "serviceaccount", "reader", "-n", "rbac-smoke"}).exitCode, 0);
  ASSERT_EQ(
      cp.kubectl({"create", "secret", "generic", "s1", "-n", "rbac-smoke", "--from-literal=k=v"})
          .exitCode,
      0);
  // A TokenRequest token for the ServiceAccount.
  ProcessResult token = cp.kubectl({"create", "token", "reader", "-n", "rbac-smoke"});
  ASSERT_EQ(token.exitCode, 0) << token.err;
  std::string t = token.out;
  while (!t.empty() && t.back() == '\n') t.pop_back();
  ASSERT_FALSE(t.empty());

  auto asReader = [&](const std::vector<std::string>& args) {
    std::vector<std::string> argv{
        ControlPlane::kubectlPath(), "--kubeconfig=/dev/null", "--server=" + cp.server(),
        "--certificate-authority=" + cp.dir() + "/pki/ca.crt", "--token=" + t};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv);
  };

  ProcessResult denied = asReader({"get", "secret", "s1", "-n", "rbac-smoke"});
  EXPECT_NE(denied.exitCode, 0);
  EXPECT_THAT(denied.err, HasSubstr("Forbidden"));
  EXPECT_THAT(denied.err, HasSubstr("system:serviceaccount:rbac-smoke:reader"));

  ASSERT_EQ(cp.kubectl({"create", "role", "secret-reader", "-n", "rbac-smoke", "--verb=get",
                        "--resource=secrets"})
                .exitCode,
            0);
  ASSERT_EQ(cp.kubectl({"create", "rolebinding", "reader-binding", "-n", "rbac-smoke",
                        "--role=secret-reader", "--serviceaccount=rbac-smoke:reader"})
                .exitCode,
            0);
  ProcessResult allowed;
  EXPECT_TRUE(eventually(
      [&] {
        allowed = asReader({"get", "secret", "s1", "-n", "rbac-smoke", "-o", "name"});
        return allowed.exitCode == 0;
      },
      std::chrono::seconds(30), kKubectlPause))
      << allowed.err;
  EXPECT_EQ(allowed.out, "secret/s1\n");
  // The grant is exactly what the Role says: listing is still forbidden.
  EXPECT_NE(asReader({"get", "secrets", "-n", "rbac-smoke"}).exitCode, 0);
}

TEST(ControlPlaneSmoke, DeletingAnOwnerGarbageCollectsItsDependentSecret) {
  ControlPlane& cp = plane();
  ASSERT_EQ(cp.kubectl({"create", "namespace", "gc-smoke"}).exitCode, 0);
  ASSERT_EQ(cp.kubectl({"create", "configmap", "owner", "-n", "gc-smoke"}).exitCode, 0);
  ProcessResult uid =
      cp.kubectl({"get", "configmap", "owner", "-n", "gc-smoke", "-o", "jsonpath={.metadata.uid}"});
  ASSERT_EQ(uid.exitCode, 0);
  ASSERT_FALSE(uid.out.empty());
  const std::string dependent = R"(
apiVersion: v1
kind: Secret
metadata:
  name: dependent
  namespace: gc-smoke
  ownerReferences:
  - {apiVersion: v1, kind: ConfigMap, name: owner, uid: )" +
                                uid.out + R"(}
stringData: {k: v}
)";
  ASSERT_EQ(cp.kubectl({"apply", "-f", "-"}, dependent).exitCode, 0);
  // An unowned Secret next to it must survive.
  ASSERT_EQ(cp.kubectl({"create", "secret", "generic", "bystander", "-n", "gc-smoke",
                        "--from-literal=k=v"})
                .exitCode,
            0);

  ASSERT_EQ(cp.kubectl({"delete", "configmap", "owner", "-n", "gc-smoke"}).exitCode, 0);
  EXPECT_TRUE(eventually(
      [&] {
        ProcessResult r = cp.kubectl({"get", "secret", "dependent", "-n", "gc-smoke"});
        return r.exitCode != 0 && r.err.find("NotFound") != std::string::npos;
      },
      std::chrono::seconds(120), kKubectlPause))
      << "kube-controller-manager did not garbage-collect the dependent Secret";
  EXPECT_EQ(cp.kubectl({"get", "secret", "bystander", "-n", "gc-smoke"}).exitCode, 0);
}

}  // namespace
}  // namespace sttest
