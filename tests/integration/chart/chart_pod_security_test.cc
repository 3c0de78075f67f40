// The operator's pod passes Pod Security "restricted" on a real
// kube-apiserver: the rendered Deployment's pod template, submitted as a Pod
// to a namespace enforcing `restricted`, is admitted, and the same Pod with
// one violation is rejected (so this test can fail). So is the `helm test`
// Pod.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "chart_support.h"

namespace sttest::chart {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kNamespace = "st-restricted";

class ChartPodSecurity : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ASSERT_TRUE(
        applyNamespace(kNamespace, {{"pod-security.kubernetes.io/enforce", "restricted"},
                                    {"pod-security.kubernetes.io/enforce-version", "latest"},
                                    {"pod-security.kubernetes.io/warn", "restricted"},
                                    {"pod-security.kubernetes.io/warn-version", "latest"}}));
  }

  // The chart's Deployment (rendered into kNamespace with `helmArgs`) and the
  // kubectl output of its dry run.
  static Json deployment(const std::vector<std::string>& helmArgs, std::string* warnings) {
    std::vector<std::string> args = helmArgs;
    args.insert(args.end(), {"--show-only", "templates/deployment.yaml"});
    ProcessResult rendered = helmTemplate("st", kNamespace, args);
    EXPECT_EQ(rendered.exitCode, 0) << rendered.err;
    ProcessResult r = sharedControlPlane().kubectl(
        {"apply", "--dry-run=server", "-o", "json", "-f", "-"}, rendered.out);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    *warnings = r.err;
    std::vector<Json> objects = objectsOf(r.out);
    return objects.empty() ? Json() : objects[0];
  }

  // The Deployment's pod template as a Pod, the way its ReplicaSet would create it.
  static Json podFrom(const Json& deployment) {
    const Json& tpl = deployment["spec"]["template"];
    return {{"apiVersion", "v1"},
            {"kind", "Pod"},
            {"metadata",
             {{"name", "operator-pod"},
              {"namespace", kNamespace},
              {"labels", tpl["metadata"]["labels"]}}},
            {"spec", tpl["spec"]}};
  }

  static ProcessResult submit(const Json& pod) {
    return sharedControlPlane().kubectl({"create", "--dry-run=server", "-f", "-"}, pod.dump());
  }
};

TEST_F(ChartPodSecurity, OperatorPodIsAdmittedUnderRestricted) {
  std::string warnings;
  Json d = deployment({}, &warnings);
  ASSERT_TRUE(d.is_object());
  // The workload check: PodSecurity warns about Deployments whose pods would violate.
  EXPECT_THAT(warnings, Not(HasSubstr("PodSecurity")));
  ProcessResult r = submit(podFrom(d));
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out, HasSubstr("pod/operator-pod created (server dry run)"));
  EXPECT_THAT(r.err, Not(HasSubstr("PodSecurity")));
}

TEST_F(ChartPodSecurity, HelmTestPodIsAdmittedUnderRestricted) {
  ProcessResult rendered =
      helmTemplate("st", kNamespace, {"--show-only", "templates/tests/test-readyz.yaml"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  ProcessResult r =
      sharedControlPlane().kubectl({"create", "--dry-run=server", "-f", "-"}, rendered.out);
  EXPECT_EQ(r.exitCode, 0) << r.err;
  EXPECT_THAT(r.out,
              HasSubstr("pod/st-servicetoken-operator-test-readyz created (server dry run)"));
  EXPECT_THAT(r.err, Not(HasSubstr("PodSecurity")));

  // The control: the same Pod running as root is refused.
  ProcessResult root = helmTemplate(
      "st", kNamespace,
      {"--show-only", "templates/tests/test-readyz.yaml", "--set",
       "podSecurityContext.runAsNonRoot=false", "--set", "securityContext.runAsNonRoot=false"});
  ASSERT_EQ(root.exitCode, 0) << root.err;
  r = sharedControlPlane().kubectl({"create", "--dry-run=server", "-f", "-"}, root.out);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("violates PodSecurity \"restricted:latest\""));
}

TEST_F(ChartPodSecurity, PodWithPrivilegeEscalationIsRejected) {
  std::string warnings;
  Json d = deployment({}, &warnings);
  ASSERT_TRUE(d.is_object());
  Json pod = podFrom(d);
  pod["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = true;
  ProcessResult r = submit(pod);
  EXPECT_NE(r.exitCode, 0);
  EXPECT_THAT(r.err, HasSubstr("violates PodSecurity \"restricted:latest\""));
  EXPECT_THAT(r.err, HasSubstr("allowPrivilegeEscalation"));
}

TEST_F(ChartPodSecurity, OverridingTheSecurityContextIsReportedOnTheDeployment) {
  // A user override that breaks "restricted" is visible at install time.
  std::string warnings;
  Json d = deployment({"--set", "podSecurityContext.runAsNonRoot=false", "--set",
                       "securityContext.runAsNonRoot=false"},
                      &warnings);
  ASSERT_TRUE(d.is_object());
  EXPECT_THAT(warnings, HasSubstr("would violate PodSecurity \"restricted:latest\""));
  EXPECT_NE(submit(podFrom(d)).exitCode, 0);
}

}  // namespace
}  // namespace sttest::chart
