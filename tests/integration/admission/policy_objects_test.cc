// The policy objects themselves: every expression type-checks cleanly against
// the CRDs on the real API server; the plain manifests under deploy/ equal
// what the chart renders (so installs without Helm get the same rules); each
// rule has a chart value that turns it off; and validationActions [Warn]
// reports a violation without refusing it.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>

#include "admission_support.h"

namespace sttest::admission {
namespace {

using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;

class PolicyObjects : public AdmissionTest {};

// The type-checking results kube-controller-manager records in the status of
// ValidatingAdmissionPolicy `name`, once it has checked the current generation.
Json typeCheckWarnings(const std::string& name) {
  Json policy;
  const bool checked = pollUntil([&] {
    ProcessResult r =
        sharedControlPlane().kubectl({"get", "validatingadmissionpolicy", name, "-o", "json"});
    policy = Json::parse(r.out, nullptr, false);
    return !policy.is_discarded() && policy.contains("status") &&
           policy["status"].value("observedGeneration", 0) ==
               policy["metadata"].value("generation", -1);
  });
  EXPECT_TRUE(checked) << name << " was never type-checked";
  if (!checked) return nullptr;
  return policy["status"]
      .value("typeChecking", Json::object())
      .value("expressionWarnings", Json::array());
}

TEST_F(PolicyObjects, ExpressionsTypeCheckAgainstTheCrdsWithoutWarnings) {
  ControlPlane& cp = sharedControlPlane();
  std::vector<Json> objects;
  ProcessResult rendered = renderAccessControl();
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  ASSERT_TRUE(parseManifests({"-f", "-"}, rendered.out, &objects));

  // The control first: a misspelt field is reported, so the checker does
  // resolve the CRD's schema now. (A policy without a binding acts on nothing.)
  Json control;
  for (const Json& o : objects) {
    if (o["metadata"]["name"] == "servicetoken-scim-administration" &&
        o["kind"] == "ValidatingAdmissionPolicy") {
      control = o;
    }
  }
  ASSERT_FALSE(control.is_null());
  control["metadata"] = {{"name", "typecheck-control"}};
  control["spec"]["validations"][0]["expression"] = "object.spec.scimAdministraton == true";
  ProcessResult r = cp.kubectl({"apply", "-f", "-"}, control.dump());
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const Json controlWarnings = typeCheckWarnings("typecheck-control");
  ASSERT_EQ(controlWarnings.size(), 1u) << controlWarnings.dump();
  EXPECT_THAT(controlWarnings[0].value("warning", ""), HasSubstr("scimAdministraton"));

  // Copies of the chart's policies, made now that the checker sees the CRDs
  // (the originals may have been checked before discovery listed them).
  int checked = 0;
  for (Json o : objects) {
    if (o["kind"] != "ValidatingAdmissionPolicy") continue;
    const std::string name = "typecheck-" + o["metadata"]["name"].get<std::string>();
    SCOPED_TRACE(name);
    o["metadata"] = {{"name", name}};
    r = cp.kubectl({"apply", "-f", "-"}, o.dump());
    ASSERT_EQ(r.exitCode, 0) << r.err;
    EXPECT_THAT(typeCheckWarnings(name), IsEmpty());
    ++checked;
    cp.kubectl({"delete", "validatingadmissionpolicy", name});
  }
  EXPECT_EQ(checked, 4);
  cp.kubectl({"delete", "validatingadmissionpolicy", "typecheck-control"});
}

// The objects by "Kind/name", stripped of the labels that say who installed
// them (helm.sh/*, app.kubernetes.io/*) and of kubectl's bookkeeping.
std::map<std::string, Json> comparable(const std::vector<Json>& objects) {
  std::map<std::string, Json> out;
  for (Json o : objects) {
    Json& metadata = o["metadata"];
    metadata.erase("annotations");
    metadata.erase("creationTimestamp");
    if (metadata.contains("labels")) {
      Json kept = Json::object();
      for (auto& [key, value] : metadata["labels"].items()) {
        if (key.rfind("helm.sh/", 0) != 0 && key.rfind("app.kubernetes.io/", 0) != 0) {
          kept[key] = value;
        }
      }
      metadata["labels"] = kept;
    }
    out[o.value("kind", "") + "/" + metadata.value("name", "")] = o;
  }
  return out;
}

// Every difference between two sets of comparable objects, one line each.
std::vector<std::string> differences(const std::map<std::string, Json>& chart,
                                     const std::map<std::string, Json>& plain) {
  std::vector<std::string> diffs;
  for (const auto& [key, object] : chart) {
    auto it = plain.find(key);
    if (it == plain.end()) {
      diffs.push_back(key + " is rendered by the chart but missing from deploy/");
    } else if (it->second != object) {
      diffs.push_back(key + " differs:\n chart:   " + object.dump() +
                      "\n deploy/: " + it->second.dump());
    }
  }
  for (const auto& [key, object] : plain) {
    if (!chart.count(key)) diffs.push_back(key + " is in deploy/ but not rendered by the chart");
  }
  return diffs;
}

TEST_F(PolicyObjects, PlainManifestsEqualTheChartsRendering) {
  const std::string deploy = std::string(ST_SOURCE_DIR) + "/deploy";
  ProcessResult rendered = renderAccessControl();
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  std::vector<Json> chartObjects, plainObjects;
  ASSERT_TRUE(parseManifests({"-f", "-"}, rendered.out, &chartObjects));
  ASSERT_TRUE(
      parseManifests({"-f", deploy + "/admission", "-f", deploy + "/rbac"}, "", &plainObjects));
  const auto chart = comparable(chartObjects);
  const auto plain = comparable(plainObjects);
  EXPECT_EQ(chart.size(), 11u) << "3 ClusterRoles, 4 policies, 4 bindings";
  EXPECT_THAT(differences(chart, plain), IsEmpty());

  // The control: a one-character drift in an expression is found and named.
  auto drifted = plain;
  Json& validation = drifted.at(
      "ValidatingAdmissionPolicy/servicetoken-scim-administration")["spec"]["validations"][0];
  std::string expression = validation["expression"];
  expression.replace(expression.find("'scim'"), 6, "'scin'");
  validation["expression"] = expression;
  EXPECT_THAT(differences(chart, drifted),
              ::testing::ElementsAre(
                  HasSubstr("ValidatingAdmissionPolicy/servicetoken-scim-administration differs")));

  // And the server accepts the plain manifests as they are.
  ProcessResult r = sharedControlPlane().kubectl(
      {"apply", "--dry-run=server", "-f", deploy + "/admission", "-f", deploy + "/rbac"});
  EXPECT_EQ(r.exitCode, 0) << r.err;
}

TEST(AdmissionChartValues, EachRuleHasAValueThatTurnsItOff) {
  const std::map<std::string, std::string> kValues = {{"personal-owner", "personalOwner"},
                                                      {"scim-administration", "scimAdministration"},
                                                      {"admin-serviceusers", "adminServiceUsers"},
                                                      {"never-in-production", "neverInProduction"}};
  auto render = [](const std::vector<std::string>& extra) {
    std::vector<std::string> argv{ControlPlane::helmPath(), "template", "st", chartDir()};
    argv.insert(argv.end(), extra.begin(), extra.end());
    ProcessResult r = runProcess(argv);
    EXPECT_EQ(r.exitCode, 0) << r.err;
    return r.out;
  };
  auto count = [](const std::string& text, const std::string& what) {
    size_t n = 0;
    for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
    return n;
  };
  const std::string defaults = render({});
  for (const auto& [rule, value] : kValues) {
    SCOPED_TRACE(rule);
    // On by default: the policy and its binding, both named after the rule.
    EXPECT_EQ(count(defaults, "\n  name: servicetoken-" + rule + "\n"), 2u);
    EXPECT_EQ(count(defaults, "policyName: servicetoken-" + rule + "\n"), 1u);
    const std::string off = render({"--set", "admissionPolicies." + value + ".enabled=false"});
    EXPECT_EQ(count(off, "servicetoken-" + rule), 0u);
    for (const std::string& other : rules()) {
      if (other == rule) continue;
      EXPECT_EQ(count(off, "policyName: servicetoken-" + other + "\n"), 1u) << other;
    }
  }
  // servicetoken-admin is aggregated into `admin` (a value), never into `edit`.
  EXPECT_EQ(count(defaults, "aggregate-to-edit"), 0u);
  EXPECT_EQ(count(defaults, "aggregate-to-admin"), 1u);
  EXPECT_EQ(count(defaults, "aggregate-to-view"), 1u);
  EXPECT_EQ(count(render({"--set", "userRoles.aggregateToAdmin=false"}), "aggregate-to-admin"), 0u);
  EXPECT_EQ(count(render({"--set", "userRoles.aggregateToView=false"}), "aggregate-to-view"), 0u);
}

TEST_F(PolicyObjects, WarnReportsAViolationWithoutRefusingIt) {
  const std::string ns = "warn-mode";
  ASSERT_TRUE(applyNamespace(ns));
  const TestIdentity alice = userWithRole("alice@example.com", "servicetoken-admin", ns);
  Json scim = serviceToken("directory-sync", ns);
  scim["spec"]["scimAdministration"] = true;

  ProcessResult rendered =
      renderAccessControl({"--set", "admissionPolicies.validationActions={Warn}"});
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  ASSERT_THAT(rendered.out, HasSubstr("validationActions: [\"Warn\"]"));
  ProcessResult r = sharedControlPlane().kubectl({"apply", "-f", "-"}, rendered.out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ProcessResult last;
  EXPECT_TRUE(pollUntil([&] {
    last = createAs(alice, scim, /*dryRun=*/true);
    return last.exitCode == 0;
  })) << last.err;
  EXPECT_THAT(last.err, HasSubstr("Warning: Validation failed for ValidatingAdmissionPolicy "
                                  "'servicetoken-scim-administration'"));
  EXPECT_THAT(last.err, HasSubstr("rule scim-administration:"));

  // Back to the chart's default, [Deny], for any test after this one.
  rendered = renderAccessControl();
  ASSERT_EQ(rendered.exitCode, 0) << rendered.err;
  r = sharedControlPlane().kubectl({"apply", "-f", "-"}, rendered.out);
  ASSERT_EQ(r.exitCode, 0) << r.err;
  EXPECT_TRUE(pollUntil(
      [&] { return bool(deniedBy(createAs(alice, scim, true), "scim-administration")); }));
}

}  // namespace
}  // namespace sttest::admission
