// The policies never stand in the operator's way: they match only CREATE and
// UPDATE of the main resources, never the status subresource the operator
// writes. Shown on the server's own policy objects, and by the operator's
// identity (the chart's ServiceAccount and ClusterRole, a TokenRequest token)
// patching the status of objects that every rule would refuse to create now.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <fstream>
#include <iterator>

#include "admission_support.h"

namespace sttest::admission {
namespace {

using ::testing::ElementsAre;
using ::testing::UnorderedElementsAre;

class OperatorWrites : public AdmissionTest {
 protected:
  // A JSON merge patch of RESOURCE/NAME's status subresource as `who`, the
  // way the operator writes it (no GET first: it may not read status); the
  // HTTP status code, or -1 when curl failed.
  int patchStatus(const TestIdentity& who, const std::string& resource, const std::string& ns,
                  const std::string& name, const std::string& body) {
    std::ifstream tokenIn(who.tokenFile);
    std::string token((std::istreambuf_iterator<char>(tokenIn)), std::istreambuf_iterator<char>());
    // The header goes through a 0600 file, so the token is in no command line.
    const std::string header = dir_.write("auth-header", "Authorization: Bearer " + token + "\n");
    chmod(header.c_str(), 0600);
    const std::string url = sharedControlPlane().server() +
                            "/apis/servicetoken.dev/v1alpha1/namespaces/" + ns + "/" + resource +
                            "/" + name + "/status";
    ProcessResult r = runProcess(
        {"curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", "--cacert",
         sharedControlPlane().dir() + "/pki/ca.crt", "-H", "@" + header, "-H",
         "Content-Type: application/merge-patch+json", "-X", "PATCH", "--data-binary", "@-", url},
        body);
    if (r.exitCode != 0) {
      ADD_FAILURE() << "curl: " << r.err;
      return -1;
    }
    return std::atoi(r.out.c_str());
  }
};

TEST_F(OperatorWrites, PoliciesMatchOnlyCreateAndUpdateOfTheMainResources) {
  for (const std::string& rule : rules()) {
    SCOPED_TRACE(rule);
    ProcessResult r = sharedControlPlane().kubectl(
        {"get", "validatingadmissionpolicy", "servicetoken-" + rule, "-o", "json"});
    ASSERT_EQ(r.exitCode, 0) << r.err;
    const Json policy = Json::parse(r.out);
    const Json& resourceRules = policy["spec"]["matchConstraints"]["resourceRules"];
    ASSERT_EQ(resourceRules.size(), 1u);
    EXPECT_THAT(resourceRules[0]["apiGroups"], ElementsAre("servicetoken.dev"));
    EXPECT_THAT(resourceRules[0]["operations"], UnorderedElementsAre("CREATE", "UPDATE"));
    // One plain resource: no "*", no "*/*", no "servicetokens/status".
    ASSERT_EQ(resourceRules[0]["resources"].size(), 1u);
    EXPECT_THAT(resourceRules[0]["resources"][0].get<std::string>(),
                ::testing::AnyOf("servicetokens", "serviceusers"));
    EXPECT_FALSE(policy["spec"]["matchConstraints"].contains("excludeResourceRules"));
  }
}

TEST_F(OperatorWrites, TheOperatorPatchesStatusOfObjectsTheRulesWouldRefuseNow) {
  const std::string ns = "operator-writes";
  ASSERT_TRUE(applyNamespace(ns));
  ControlPlane& cp = sharedControlPlane();
  const TestIdentity admin = clusterAdmin();

  // Objects made before the rules could object: a Never token in what is
  // about to become a production namespace, a SCIM token, someone's Personal
  // token, an Admin ServiceUser.
  Json never = serviceToken("never", ns);
  never["spec"]["expiration"] = "Never";
  Json scim = serviceToken("scim", ns);
  scim["spec"]["scimAdministration"] = true;
  for (const Json& object : {never, scim, personalToken("bobs", ns, "bob@example.com"),
                             serviceUser("root", ns, "Admin")}) {
    ASSERT_TRUE(allowed(createAs(admin, object)));
  }
  ASSERT_TRUE(applyNamespace(ns, {{"servicetoken.dev/environment", "production"}}));
  Json again = never;
  again["metadata"]["name"] = "never-again";
  ASSERT_TRUE(pollUntil(
      [&] { return bool(deniedBy(createAs(admin, again, true), "never-in-production")); }));

  // The operator's identity exactly as the chart makes it.
  ASSERT_TRUE(applyNamespace("servicetoken-system"));
  ProcessResult rendered =
      runProcess({ControlPlane::helmPath(), "template", "st", chartDir(), "--namespace",
                  "servicetoken-system", "--show-only", "templates/serviceaccount.yaml",
                  "--show-only", "templates/rbac-operator.yaml"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  ProcessResult r = cp.kubectl({"apply", "-f", "-"}, rendered.out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const TestIdentity op = serviceAccount("servicetoken-system", "st-servicetoken-operator");
  ASSERT_TRUE(pollUntil([&] {
    return op.kubectl({"auth", "can-i", "patch", std::string(kTokens) + "/never",
                       "--subresource=status", "-n", ns})
               .out.rfind("yes", 0) == 0;
  }));

  for (const char* name : {"never", "scim", "bobs"}) {
    SCOPED_TRACE(name);
    EXPECT_EQ(patchStatus(op, "servicetokens", ns, name, R"({"status":{"phase":"Active"}})"), 200);
    r = cp.kubectl({"get", kTokens, name, "-n", ns, "-o", "jsonpath={.status.phase}"});
    EXPECT_EQ(r.out, "Active");
  }
  EXPECT_EQ(patchStatus(op, "serviceusers", ns, "root", R"({"status":{"userId":"root@service"}})"),
            200);
  r = cp.kubectl({"get", kUsers, "root", "-n", ns, "-o", "jsonpath={.status.userId}"});
  EXPECT_EQ(r.out, "root@service");
  // The control: the same identity may not write the main resource at all.
  EXPECT_EQ(op.canI("patch", kTokens, ns), "no");
}

}  // namespace
}  // namespace sttest::admission
