// Helpers for the Helm chart tests: rendering charts/servicetoken-operator
// with the hack-built helm, applying the result with kubectl against the
// shared control plane, and reading rendered objects as JSON. Header-only
// because the test tier compiles only *_test.cc files.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "control_plane.h"
#include "subprocess.h"

namespace sttest::chart {

using Json = nlohmann::json;

inline std::string chartDir() {
  return std::string(ST_SOURCE_DIR) + "/charts/servicetoken-operator";
}
inline std::string testDataDir() { return std::string(ST_SOURCE_DIR) + "/tests/integration/chart"; }

// Runs the hack-built helm with `args`.
inline ProcessResult helm(const std::vector<std::string>& args) {
  std::vector<std::string> argv{ControlPlane::helmPath()};
  argv.insert(argv.end(), args.begin(), args.end());
  return runProcess(argv);
}

// `helm template RELEASE <chart> --namespace NS EXTRA...` (CRDs not included).
inline ProcessResult helmTemplate(const std::string& release, const std::string& ns,
                                  const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"template", release, chartDir(), "--namespace", ns};
  args.insert(args.end(), extra.begin(), extra.end());
  return helm(args);
}

// Creates (or updates) namespace `name` carrying `labels`.
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

// Applies `dir` (CRD YAML) for real and waits until every CRD there is Established.
inline ::testing::AssertionResult installCrds(const std::string& dir) {
  ControlPlane& cp = sharedControlPlane();
  ProcessResult r = cp.kubectl({"apply", "-f", dir});
  if (r.exitCode != 0) return ::testing::AssertionFailure() << "applying " << dir << ": " << r.err;
  r = cp.kubectl({"wait", "--for=condition=Established", "--timeout=60s", "-f", dir});
  if (r.exitCode != 0)
    return ::testing::AssertionFailure() << "waiting for " << dir << ": " << r.err;
  return ::testing::AssertionSuccess();
}

// The chart's own CRDs, as Helm would install them.
inline ::testing::AssertionResult installChartCrds() { return installCrds(chartDir() + "/crds"); }

// The objects in kubectl `-o json` output: a List's items, or the one object.
inline std::vector<Json> objectsOf(const std::string& kubectlJson) {
  Json parsed = Json::parse(kubectlJson, nullptr, /*allow_exceptions=*/false);
  if (parsed.is_discarded() || !parsed.is_object()) return {};
  if (parsed.value("kind", "") == "List") return parsed.value("items", std::vector<Json>{});
  return {parsed};
}

// The first object of `kind` named `name` (any name when empty), or null.
inline Json findObject(const std::vector<Json>& objects, const std::string& kind,
                       const std::string& name = "") {
  for (const Json& o : objects) {
    if (o.value("kind", "") != kind) continue;
    if (name.empty() || o["metadata"].value("name", "") == name) return o;
  }
  return nullptr;
}

inline std::vector<std::string> kindsOf(const std::vector<Json>& objects) {
  std::vector<std::string> kinds;
  for (const Json& o : objects) kinds.push_back(o.value("kind", ""));
  return kinds;
}

// Renders the chart and submits it with `kubectl apply --dry-run=server`
// (`dryRun`) or for real; the namespaces it uses must exist. Returns the
// objects as the server returned them, or fails the calling test.
inline ::testing::AssertionResult renderAndApply(const std::string& release, const std::string& ns,
                                                 const std::vector<std::string>& helmArgs,
                                                 bool dryRun, std::vector<Json>* objects) {
  ProcessResult rendered = helmTemplate(release, ns, helmArgs);
  if (rendered.exitCode != 0) {
    return ::testing::AssertionFailure() << "helm template: " << rendered.err;
  }
  std::vector<std::string> args{"apply", "-o", "json", "-f", "-"};
  if (dryRun) args.push_back("--dry-run=server");
  ProcessResult applied = sharedControlPlane().kubectl(args, rendered.out);
  if (applied.exitCode != 0) {
    return ::testing::AssertionFailure() << "kubectl apply: " << applied.err;
  }
  *objects = objectsOf(applied.out);
  if (objects->empty()) return ::testing::AssertionFailure() << "no objects in: " << applied.out;
  return ::testing::AssertionSuccess();
}

// The lines of `text` with runs of whitespace collapsed, empty and `#`
// comment lines dropped, sorted: `kubectl auth can-i --list` output compared regardless of column
// widths and row order.
inline std::vector<std::string> normalisedLines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string word, joined;
    while (words >> word) joined += (joined.empty() ? "" : " ") + word;
    if (!joined.empty() && joined[0] != '#') lines.push_back(joined);
  }
  std::sort(lines.begin(), lines.end());
  return lines;
}

inline std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// `kubectl auth can-i --list` as `user` in `ns`, compared with
// expected-can-i-<name>.txt regardless of column widths and row order. With
// ST_UPDATE_EXPECTED set, the file is rewritten first (`who` names the
// ServiceAccount in its header) so that an intended RBAC change shows as a diff.
inline void expectCanIList(const std::string& user, const std::string& ns, const std::string& name,
                           const std::string& who, const std::string& testFile) {
  SCOPED_TRACE(name);
  ProcessResult r =
      sharedControlPlane().kubectl({"auth", "can-i", "--list", "--as", user, "-n", ns});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  const std::string path = testDataDir() + "/expected-can-i-" + name + ".txt";
  if (std::getenv("ST_UPDATE_EXPECTED") != nullptr) {
    std::ofstream(path) << "# kubectl auth can-i --list for " << who << " (" << name
                        << "), compared\n# ignoring column widths and row order. "
                        << "Regenerate: see " << testFile << ".\n"
                        << r.out;
  }
  const std::vector<std::string> want = normalisedLines(readFile(path));
  const std::vector<std::string> got = normalisedLines(r.out);
  ASSERT_FALSE(want.empty()) << "missing " << path;
  std::vector<std::string> missing, extra;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(),
                      std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(extra));
  EXPECT_TRUE(extra.empty()) << "granted but not in " << path << ": "
                             << ::testing::PrintToString(extra);
  EXPECT_TRUE(missing.empty()) << "in " << path
                               << " but not granted: " << ::testing::PrintToString(missing);
}

// "yes" or "no": may `user` `verb` `resource` (optionally its status) in `ns`?
inline std::string canI(const std::string& user, const std::string& verb,
                        const std::string& resource, const std::string& ns, bool status = false) {
  std::vector<std::string> args{"auth", "can-i", verb, resource, "--as", user, "-n", ns};
  if (status) args.push_back("--subresource=status");
  ProcessResult r = sharedControlPlane().kubectl(args);
  return r.out.substr(0, r.out.find('\n'));
}

// Every container argument in `rendered` that matches `argLine` (group 1 is
// the flag) names a flag the binary's `help` text lists; returns how many
// arguments were checked.
inline int expectArgsAreKnownFlags(const std::string& rendered, const std::string& help,
                                   const std::regex& argLine) {
  std::istringstream lines(rendered);
  int flags = 0;
  for (std::string line; std::getline(lines, line);) {
    std::smatch m;
    if (!std::regex_match(line, m, argLine)) continue;
    ++flags;
    EXPECT_NE(help.find(m[1].str() + " "), std::string::npos) << line;
  }
  return flags;
}

}  // namespace sttest::chart
