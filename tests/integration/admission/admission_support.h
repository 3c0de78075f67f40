// Helpers for the admission tests ("who may mint what", docs/security.md):
// install the chart's user roles and ValidatingAdmissionPolicies on the real
// kube-apiserver, give test users identities of their own (client
// certificates, ServiceAccount tokens) bound to those roles, and submit
// ServiceTokens and ServiceUsers as them. Header-only because the test tier
// compiles only *_test.cc files.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "control_plane.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "test_identity.h"

namespace sttest::admission {

using Json = nlohmann::json;

// The rules, named as their policies are: servicetoken-<rule>.
inline const std::vector<std::string>& rules() {
  static const std::vector<std::string> kRules = {"personal-owner", "scim-administration",
                                                  "admin-serviceusers", "never-in-production"};
  return kRules;
}

inline std::string chartDir() {
  return std::string(ST_SOURCE_DIR) + "/charts/servicetoken-operator";
}

// The chart templates holding the user roles and the policies.
inline std::vector<std::string> accessControlTemplates() {
  std::vector<std::string> templates{"templates/rbac-user-roles.yaml"};
  for (const std::string& rule : rules())
    templates.push_back("templates/admission-" + rule + ".yaml");
  return templates;
}

// `helm template st <chart>` with `extra` values, only the user roles and the
// admission policies (so every policy must be on).
inline ProcessResult renderAccessControl(const std::vector<std::string>& extra = {}) {
  std::vector<std::string> argv{
      ControlPlane::helmPath(), "template", "st", chartDir(), "--namespace", "servicetoken-system"};
  for (const std::string& t : accessControlTemplates()) {
    argv.push_back("--show-only");
    argv.push_back(t);
  }
  argv.insert(argv.end(), extra.begin(), extra.end());
  return runProcess(argv);
}

// The objects of kubectl `-o json` output: a List's items, or the objects
// of a stream of JSON documents (what `create --dry-run=client` prints).
inline std::vector<Json> objectsOf(const std::string& kubectlJson) {
  std::vector<Json> objects;
  std::istringstream in(kubectlJson);
  while (in >> std::ws && in.peek() != EOF) {
    Json parsed;
    try {
      in >> parsed;  // one document; operator>> stops after it
    } catch (const Json::exception&) {
      return {};
    }
    if (!parsed.is_object()) return {};
    if (parsed.value("kind", "") == "List") {
      for (const Json& item : parsed.value("items", Json::array())) objects.push_back(item);
    } else {
      objects.push_back(std::move(parsed));
    }
  }
  return objects;
}

// YAML manifests (stdin, or files with `-f`) as JSON objects, exactly as
// written: kubectl's client-side dry run, so the server changes nothing.
inline ::testing::AssertionResult parseManifests(const std::vector<std::string>& fileArgs,
                                                 const std::string& input,
                                                 std::vector<Json>* objects) {
  std::vector<std::string> args{"create", "--dry-run=client", "-o", "json"};
  args.insert(args.end(), fileArgs.begin(), fileArgs.end());
  ProcessResult r = sharedControlPlane().kubectl(args, input);
  if (r.exitCode != 0) return ::testing::AssertionFailure() << "kubectl create: " << r.err;
  *objects = objectsOf(r.out);
  if (objects->empty()) return ::testing::AssertionFailure() << "no objects in: " << r.out;
  return ::testing::AssertionSuccess();
}

// Calls `pred` until it returns true or `timeout` passes (then one last
// call). A safety net against hangs, never a threshold on speed.
inline bool pollUntil(const std::function<bool()>& pred,
                      std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return pred();
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  return true;
}

// --- manifests --------------------------------------------------------------

inline Json meta(const std::string& name, const std::string& ns) {
  return {{"name", name}, {"namespace", ns}};
}

// A Service token for ServiceUser "pipeline" (which need not exist), 30d.
inline Json serviceToken(const std::string& name, const std::string& ns) {
  return {{"apiVersion", "servicetoken.dev/v1alpha1"},
          {"kind", "ServiceToken"},
          {"metadata", meta(name, ns)},
          {"spec",
           {{"displayName", name},
            {"type", "Service"},
            {"serviceUserRef", {{"name", "pipeline"}}},
            {"expiration", "30d"}}}};
}

// A Personal token owned by `owner`, 30d.
inline Json personalToken(const std::string& name, const std::string& ns,
                          const std::string& owner) {
  return {{"apiVersion", "servicetoken.dev/v1alpha1"},
          {"kind", "ServiceToken"},
          {"metadata", meta(name, ns)},
          {"spec",
           {{"displayName", name}, {"type", "Personal"}, {"owner", owner}, {"expiration", "30d"}}}};
}

// A ServiceUser with `role` ("" leaves it unset: Member).
inline Json serviceUser(const std::string& name, const std::string& ns, const std::string& role) {
  Json user = {{"apiVersion", "servicetoken.dev/v1alpha1"},
               {"kind", "ServiceUser"},
               {"metadata", meta(name, ns)},
               {"spec", {{"displayName", name}}}};
  if (!role.empty()) user["spec"]["role"] = role;
  return user;
}

// --- requests ---------------------------------------------------------------

// The plane's admin (system:masters): every authorization check passes.
inline TestIdentity clusterAdmin() { return {"admin", sharedControlPlane().kubeconfig(), ""}; }

// `kubectl create -f -` of `object` as `who` (a server-side dry run when asked).
inline ProcessResult createAs(const TestIdentity& who, const Json& object, bool dryRun = false) {
  std::vector<std::string> args{"create", "-f", "-"};
  if (dryRun) args.push_back("--dry-run=server");
  return who.kubectl(args, object.dump());
}

// `kubectl patch --type=merge` of KIND/NAME in `ns` as `who`.
inline ProcessResult patchAs(const TestIdentity& who, const std::string& kind,
                             const std::string& name, const std::string& ns, const Json& patch) {
  return who.kubectl({"patch", kind, name, "-n", ns, "--type=merge", "-p", patch.dump()});
}

// The request succeeded.
inline ::testing::AssertionResult allowed(const ProcessResult& r) {
  if (r.exitCode == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "refused: " << r.err;
}

// The request was refused by policy servicetoken-<rule>, with a message that
// names the rule and mentions every string of `mentions`.
inline ::testing::AssertionResult deniedBy(const ProcessResult& r, const std::string& rule,
                                           const std::vector<std::string>& mentions = {}) {
  if (r.exitCode == 0) return ::testing::AssertionFailure() << "allowed; rule " << rule;
  const std::string policy = "ValidatingAdmissionPolicy 'servicetoken-" + rule + "'";
  for (const std::string& want : {policy, "rule " + rule + ":"}) {
    if (r.err.find(want) == std::string::npos) {
      return ::testing::AssertionFailure() << "refused without \"" << want << "\": " << r.err;
    }
  }
  for (const std::string& want : mentions) {
    if (r.err.find(want) == std::string::npos) {
      return ::testing::AssertionFailure() << "message lacks \"" << want << "\": " << r.err;
    }
  }
  return ::testing::AssertionSuccess();
}

// --- cluster set-up ---------------------------------------------------------

// Creates (or updates) namespace `name` with `labels`.
inline ::testing::AssertionResult applyNamespace(
    const std::string& name, const std::map<std::string, std::string>& labels = {}) {
  Json ns = {{"apiVersion", "v1"},
             {"kind", "Namespace"},
             {"metadata", {{"name", name}, {"labels", labels}}}};
  ProcessResult r = sharedControlPlane().kubectl({"apply", "-f", "-"}, ns.dump());
  if (r.exitCode != 0)
    return ::testing::AssertionFailure() << "namespace " << name << ": " << r.err;
  return ::testing::AssertionSuccess();
}

// "yes" or "no": may `who` VERB RESOURCE in `ns` (cluster scope when empty)?
inline std::string canI(const TestIdentity& who, const std::string& verb,
                        const std::string& resource, const std::string& ns) {
  return who.canI(verb, resource, ns);
}

// Binds ClusterRole `role` to `username` in `ns` (RoleBinding <ns>/<bindingName>),
// or cluster-wide when `ns` is empty (ClusterRoleBinding <bindingName>), as admin.
inline ::testing::AssertionResult bindClusterRole(const std::string& bindingName,
                                                  const std::string& role,
                                                  const std::string& username,
                                                  const std::string& ns) {
  std::vector<std::string> args{"create", ns.empty() ? "clusterrolebinding" : "rolebinding",
                                bindingName, "--clusterrole=" + role};
  args.push_back(username.rfind("system:serviceaccount:", 0) == 0
                     ? "--serviceaccount=" + username.substr(22)
                     : "--user=" + username);
  if (!ns.empty()) args.insert(args.end(), {"-n", ns});
  ProcessResult r = sharedControlPlane().kubectl(args);
  if (r.exitCode != 0) return ::testing::AssertionFailure() << "binding " << role << ": " << r.err;
  return ::testing::AssertionSuccess();
}

// Waits until `who` may `verb` `resource` in `ns` (the RBAC caches caught up).
inline ::testing::AssertionResult waitUntilCan(const TestIdentity& who, const std::string& verb,
                                               const std::string& resource, const std::string& ns) {
  if (pollUntil([&] { return canI(who, verb, resource, ns) == "yes"; })) {
    return ::testing::AssertionSuccess();
  }
  return ::testing::AssertionFailure()
         << who.username << " still may not " << verb << " " << resource << " in " << ns;
}

inline constexpr const char* kTokens = "servicetokens.servicetoken.dev";
inline constexpr const char* kUsers = "serviceusers.servicetoken.dev";

// The fixture of every admission test: the project's CRDs, the chart's user
// roles and policies (with the chart's defaults), and a wait until all four
// policies refuse what they must. Users come from user().
class AdmissionTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // kube-controller-manager type-checks the policies (their status).
    ControlPlaneOptions options;
    options.withControllerManager = true;
    ControlPlane& cp = sharedControlPlane(options);
    ctrl::Status crds = cp.installCrds();
    ASSERT_TRUE(crds.isOk()) << crds.toString();
    ProcessResult rendered = renderAccessControl();
    ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
    ProcessResult applied = cp.kubectl({"apply", "-f", "-"}, rendered.out);
    ASSERT_EQ(applied.exitCode, 0) << applied.err;
    ASSERT_TRUE(waitUntilPoliciesEnforce());
  }

  // A certificate identity `username` in `groups`, kept for the test's life.
  TestIdentity user(const std::string& username, const std::vector<std::string>& groups = {}) {
    TestIdentity id;
    EXPECT_TRUE(makeCertificateIdentity(sharedControlPlane(), dir_.path(), username, groups, &id));
    return id;
  }

  // ServiceAccount `ns`/`name` with a TokenRequest token.
  TestIdentity serviceAccount(const std::string& ns, const std::string& name) {
    TestIdentity id;
    EXPECT_TRUE(makeServiceAccountIdentity(sharedControlPlane(), dir_.path(), ns, name, &id));
    return id;
  }

  // `username` (a fresh certificate identity) bound to ClusterRole `role` in
  // `ns`; returns once the binding is in effect.
  TestIdentity userWithRole(const std::string& username, const std::string& role,
                            const std::string& ns) {
    TestIdentity id = user(username);
    std::string binding;
    for (char c : username) binding += std::isalnum(static_cast<unsigned char>(c)) ? c : '-';
    EXPECT_TRUE(bindClusterRole(binding + "-" + role, role, username, ns));
    EXPECT_TRUE(waitUntilCan(id, "get", kTokens, ns));
    return id;
  }

  // Policies become effective a moment after they are created: until each
  // refuses a request only it refuses (server-side dry runs by a
  // servicetoken-admin, so nothing is stored).
  static ::testing::AssertionResult waitUntilPoliciesEnforce() {
    const std::string ns = "admission-probe";
    if (auto r = applyNamespace(ns, {{"servicetoken.dev/environment", "production"}}); !r) return r;
    TempDir dir;
    TestIdentity probe;
    if (auto r = makeCertificateIdentity(sharedControlPlane(), dir.path(), "probe", {}, &probe);
        !r) {
      return r;
    }
    ProcessResult bound = sharedControlPlane().kubectl(
        {"apply", "-f", "-"},
        Json({{"apiVersion", "rbac.authorization.k8s.io/v1"},
              {"kind", "RoleBinding"},
              {"metadata", meta("probe", ns)},
              {"roleRef",
               {{"apiGroup", "rbac.authorization.k8s.io"},
                {"kind", "ClusterRole"},
                {"name", "servicetoken-admin"}}},
              {"subjects",
               {{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "User"}, {"name", "probe"}}}}})
            .dump());
    if (bound.exitCode != 0) return ::testing::AssertionFailure() << bound.err;
    if (auto r = waitUntilCan(probe, "create", kTokens, ns); !r) return r;

    Json scim = serviceToken("probe-scim", ns);
    scim["spec"]["scimAdministration"] = true;
    Json never = serviceToken("probe-never", ns);
    never["spec"]["expiration"] = "Never";
    const std::map<std::string, Json> probes = {
        {"personal-owner", personalToken("probe-personal", ns, "someone-else")},
        {"scim-administration", scim},
        {"admin-serviceusers", serviceUser("probe-admin", ns, "Admin")},
        {"never-in-production", never}};
    for (const auto& [rule, object] : probes) {
      if (!pollUntil([&] { return bool(deniedBy(createAs(probe, object, true), rule)); })) {
        return ::testing::AssertionFailure()
               << "policy servicetoken-" << rule
               << " never took effect: " << deniedBy(createAs(probe, object, true), rule).message();
      }
    }
    return ::testing::AssertionSuccess();
  }

  TempDir dir_;
};

}  // namespace sttest::admission
