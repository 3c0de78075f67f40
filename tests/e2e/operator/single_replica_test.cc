// One real servicetoken-operator process, authenticated only as the Helm
// chart's ServiceAccount with the chart's RBAC, through a token's whole life:
// first mint, manual rotation, Secret deleted and re-minted, ServiceToken
// deleted and its Secret garbage-collected by kube-controller-manager.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <set>

#include "api/base64.h"
#include "e2e_cluster.h"
#include "poll.h"

namespace sttest::e2e {
namespace {

using namespace std::chrono_literals;

constexpr const char* kNs = "e2e-single";

const char* const kManifests = R"(apiVersion: servicetoken.dev/v1alpha1
kind: ServiceUser
metadata:
  name: pipeline
  namespace: e2e-single
spec:
  displayName: Pipeline Automation
---
apiVersion: servicetoken.dev/v1alpha1
kind: ServiceToken
metadata:
  name: airflow
  namespace: e2e-single
spec:
  displayName: Airflow Service User
  type: Service
  serviceUserRef:
    name: pipeline
  expiration: 90d
)";

// The ServiceToken is Active at `revision`, and its Secret says the same.
bool activeAtRevision(E2eCluster& c, int revision) {
  const std::string rev = std::to_string(revision);
  return c.jsonpath("servicetoken", "airflow", kNs, ".status.phase") == "Active" &&
         c.jsonpath("servicetoken", "airflow", kNs, ".status.revision") == rev &&
         c.jsonpath("secret", "airflow", kNs,
                    ".metadata.annotations.servicetoken\\.dev/revision") == rev;
}

// The Secret's token values (data.token and data.token.previous when
// present), each as stored (base64) and decoded (the JWT), plus the JWT's
// signature alone: none of these may ever reach a log.
void collectSecretValues(E2eCluster& c, std::set<std::string>& values) {
  Json secret = c.getJson({"secret", "airflow", "-n", kNs});
  ASSERT_TRUE(secret.is_object());
  const Json data = secret.value("data", Json::object());
  ASSERT_TRUE(data.contains("token"));
  for (const char* key : {"token", "token.previous"}) {
    if (!data.contains(key)) continue;
    const std::string stored = data[key].get<std::string>();
    auto jwt = st::base64Decode(stored);
    ASSERT_TRUE(jwt.isOk());
    ASSERT_EQ(std::count(jwt->begin(), jwt->end(), '.'), 2) << "not a compact JWS";
    values.insert(stored);
    values.insert(*jwt);
    values.insert(jwt->substr(jwt->rfind('.') + 1));
  }
}

bool hasEvent(E2eCluster& c, const std::string& reason) {
  Json events = c.getJson({"events.events.k8s.io", "-n", kNs});
  if (!events.is_object()) return false;
  for (const Json& e : events.value("items", Json::array())) {
    if (e.value("reason", "") == reason &&
        e.value("regarding", Json::object()).value("name", "") == "airflow") {
      return true;
    }
  }
  return false;
}

TEST(SingleReplica, MintsRotatesRecreatesAndIsGarbageCollectedUnderTheChartsRbac) {
  E2eCluster c;
  ASSERT_EQ(c.error(), "");
  ASSERT_TRUE(c.ensureNamespace(kNs));

  // The kubeconfig really is the chart's ServiceAccount, not an admin.
  ProcessResult who =
      c.kubectlAsOperator({"auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"});
  ASSERT_EQ(who.exitCode, 0) << who.err;
  EXPECT_EQ(who.out,
            std::string("system:serviceaccount:") + kOperatorNamespace + ":" + kServiceAccount);
  ProcessResult canDelete = c.kubectlAsOperator({"auth", "can-i", "delete", "secrets", "-A"});
  EXPECT_THAT(canDelete.out, ::testing::HasSubstr("no"));

  OperatorProcess& op = c.startOperator("operator");
  ASSERT_TRUE(c.apply(kManifests));
  std::set<std::string> secretValues;

  // 1. First mint.
  ASSERT_TRUE(eventually([&] { return activeAtRevision(c, 1) || !op.process->running(); }, 60s));
  ASSERT_TRUE(op.process->running()) << op.logText();
  ASSERT_TRUE(activeAtRevision(c, 1)) << op.logText();
  ASSERT_NO_FATAL_FAILURE(collectSecretValues(c, secretValues));
  const std::string firstTokenId = c.jsonpath("servicetoken", "airflow", kNs, ".status.tokenId");
  EXPECT_FALSE(firstTokenId.empty());

  // 2. Manual rotation through the annotation: exactly one new revision.
  ProcessResult r = c.kubectl({"annotate", "servicetoken", "airflow", "-n", kNs,
                               "servicetoken.dev/rotate=e2e-1", "--overwrite"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return activeAtRevision(c, 2); }, 60s)) << op.logText();
  ASSERT_NO_FATAL_FAILURE(collectSecretValues(c, secretValues));
  EXPECT_NE(c.jsonpath("servicetoken", "airflow", kNs, ".status.tokenId"), firstTokenId);
  EXPECT_TRUE(eventually([&] { return hasEvent(c, "Rotated"); }, 30s));

  // 3. The Secret deleted: a new token is minted into a new Secret.
  const std::string oldUid = c.jsonpath("secret", "airflow", kNs, ".metadata.uid");
  r = c.kubectl({"delete", "secret", "airflow", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_TRUE(eventually([&] { return activeAtRevision(c, 3); }, 60s)) << op.logText();
  EXPECT_NE(c.jsonpath("secret", "airflow", kNs, ".metadata.uid"), oldUid);
  ASSERT_NO_FATAL_FAILURE(collectSecretValues(c, secretValues));
  EXPECT_TRUE(eventually([&] { return hasEvent(c, "SecretRecreated"); }, 30s));
  // Still exactly revision 3: the re-mint happened once.
  EXPECT_EQ(c.jsonpath("servicetoken", "airflow", kNs, ".status.revision"), "3");

  // 4. The ServiceToken deleted: the garbage collector removes its Secret
  // through the owner reference (its discovery refresh is 30 s).
  EXPECT_EQ(c.jsonpath("secret", "airflow", kNs, ".metadata.ownerReferences[0].kind"),
            "ServiceToken");
  r = c.kubectl({"delete", "servicetoken", "airflow", "-n", kNs});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(eventually(
      [&] {
        ProcessResult g =
            c.kubectl({"get", "secret", "airflow", "-n", kNs, "--ignore-not-found", "-o", "name"});
        return g.exitCode == 0 && g.out.empty();
      },
      120s, 1s));

  // 5. The log: three mints of this token, no authorization failure, no
  // token value.
  ASSERT_TRUE(op.process->running());
  const std::vector<LogLine> lines = op.logLines();
  std::vector<Json> mints = recordsWithMessage(lines, "Minted token");
  ASSERT_EQ(mints.size(), 3u) << op.logText();
  for (size_t i = 0; i < mints.size(); ++i) {
    EXPECT_EQ(mints[i].value("ServiceToken", ""), std::string(kNs) + "/airflow");
    EXPECT_EQ(intField(mints[i], "revision"), static_cast<long long>(i) + 1);
  }
  EXPECT_EQ(mints[0].value("tokenId", ""), firstTokenId);
  EXPECT_THAT(authorizationFailures(lines), ::testing::IsEmpty());
  const std::string text = op.logText();
  EXPECT_GE(secretValues.size(), 9u);  // three tokens, at least three forms each
  for (const std::string& v : secretValues) {
    EXPECT_EQ(text.find(v), std::string::npos) << "a token value is in the operator's log";
  }
}

}  // namespace
}  // namespace sttest::e2e
