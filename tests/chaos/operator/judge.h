// The chaos tier's judge: after a scenario, it reads what the API server
// recorded (its audit log of Secret and ServiceToken writes) and what the
// cluster holds now, and checks the promises that must survive any fault:
//
//  - mint once: for every ServiceToken, the operator's successful Secret
//    creates plus in-place token writes (PUT) equal status.revision — one per
//    revision, never two;
//  - nothing lost: every ServiceToken is Active and its Secret holds exactly
//    the token whose hash status reports;
//  - no orphan: every Secret carrying the operator's label belongs to an
//    existing ServiceToken;
//  - the token is secret: no token value (raw, base64, or its signature
//    segment) appears in the operator's logs, the Events, the ServiceTokens'
//    status, or the metrics text given.
//
// The history is recorded by the API server, not by the operator, so a lie in
// our own logs cannot hide a duplicate (the etcd robustness suite's habit:
// record, then validate offline). Header-only, test-only.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "api/base64.h"
#include "e2e/operator/e2e_cluster.h"
#include "token/token_hash.h"

namespace sttest::chaos {

using e2e::E2eCluster;
using e2e::Json;

inline constexpr const char* kOperatorUser =
    "system:serviceaccount:servicetoken-system:st-servicetoken-operator";

struct Verdict {
  int tokens = 0;
  int active = 0;
  int secretCreates = 0;      // successful creates by the operator (audit log)
  int secretTokenWrites = 0;  // successful PUTs by the operator (rotations, replacements)
  int ambiguousWrites = 0;    // 5xx or no answer: maybe executed (the client was killed)
  int duplicates = 0;         // writes beyond one per revision
  int missingWrites = 0;      // revisions with no recorded write
  int lost = 0;               // not Active, or the Secret does not hold the status' token
  int orphans = 0;
  int leaks = 0;
  std::vector<std::string> problems;

  bool ok() const {
    return tokens > 0 && active == tokens && duplicates == 0 && missingWrites == 0 && lost == 0 &&
           orphans == 0 && leaks == 0;
  }
  std::string summary() const {
    std::ostringstream o;
    o << tokens << " tokens, " << active << " Active; Secret creates " << secretCreates
      << ", in-place token writes " << secretTokenWrites << ", unanswered writes "
      << ambiguousWrites << "; duplicates " << duplicates << ", missing writes " << missingWrites
      << ", lost " << lost << ", orphans " << orphans << ", leaks " << leaks;
    return o.str();
  }
};

// Successful Secret writes by the operator per Secret name, from the audit log.
struct AuditCounts {
  std::map<std::string, int> creates;  // answered 2xx: certainly executed
  std::map<std::string, int> updates;
  // Answered 5xx or without a code (the client vanished, a timeout): the
  // server may or may not have executed them.
  std::map<std::string, int> maybe;
  // Every recorded request on each Secret, "verb code stage user" (metadata
  // only: the policy never records bodies), to explain a finding.
  std::map<std::string, std::vector<std::string>> trail;
  int lines = 0;
};

inline AuditCounts readAudit(const std::string& path, const std::string& ns) {
  AuditCounts out;
  std::ifstream in(path);
  for (std::string line; std::getline(in, line);) {
    Json e = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (!e.is_object()) continue;
    if (e.value("stage", "") != "ResponseComplete") {
      const Json ref = e.value("objectRef", Json::object());
      if (ref.value("resource", "") == "secrets") {
        out.trail[ref.value("name", "")].push_back(e.value("verb", "") + " - " +
                                                   e.value("stage", ""));
      }
      continue;
    }
    ++out.lines;
    const Json ref = e.value("objectRef", Json::object());
    if (ref.value("resource", "") != "secrets" || ref.value("namespace", "") != ns) continue;
    out.trail[ref.value("name", "")].push_back(
        e.value("verb", "") + " " +
        std::to_string(e.value("responseStatus", Json::object()).value("code", 0)) + " " +
        e.value("stage", "") + " " + e.value("user", Json::object()).value("username", ""));
    if (e.value("user", Json::object()).value("username", "") != kOperatorUser) continue;
    const int code = e.value("responseStatus", Json::object()).value("code", 0);
    const std::string verb = e.value("verb", "");
    const std::string name = ref.value("name", "");
    if (verb != "create" && verb != "update") continue;
    if (code >= 200 && code <= 299) {
      ++(verb == "create" ? out.creates : out.updates)[name];
    } else if (code == 0 || code >= 500) {
      ++out.maybe[name];
    }
  }
  return out;
}

// The forms in which a token value could leak.
inline std::vector<std::string> needlesOf(const std::string& jwt) {
  std::vector<std::string> out{jwt, st::base64Encode(jwt)};
  const size_t dot = jwt.rfind('.');
  if (dot != std::string::npos && jwt.size() - dot > 20) out.push_back(jwt.substr(dot + 1));
  return out;
}

// Judges namespace `ns`. `haystacks` are texts that must hold no token
// (operator logs, metrics), by name.
inline Verdict judge(E2eCluster& c, const std::string& ns,
                     const std::map<std::string, std::string>& haystacks) {
  Verdict v;
  const AuditCounts audit = readAudit(c.plane().auditLogPath(), ns);
  if (audit.lines == 0) v.problems.push_back("the audit log is empty: was the plane audited?");

  Json tokens = c.getJson({"servicetokens", "-n", ns});
  Json secrets =
      c.getJson({"secrets", "-n", ns, "-l", "app.kubernetes.io/managed-by=servicetoken-operator"});
  Json events = c.getJson({"events.events.k8s.io", "-n", ns});
  if (!tokens.is_object() || !secrets.is_object()) {
    v.problems.push_back("could not list ServiceTokens or Secrets");
    return v;
  }

  std::map<std::string, Json> secretByName;
  for (const Json& s : secrets["items"]) secretByName[s["metadata"]["name"]] = s;
  std::set<std::string> tokenNames;
  std::vector<std::string> values;
  for (const Json& t : tokens["items"]) {
    ++v.tokens;
    const std::string name = t["metadata"]["name"];
    tokenNames.insert(name);
    const Json status = t.value("status", Json::object());
    const int revision = status.value("revision", 0);
    const std::string secretName = status.value("secretName", name);
    const bool active = status.value("phase", "") == "Active";
    v.active += active ? 1 : 0;

    const int creates = audit.creates.count(secretName) ? audit.creates.at(secretName) : 0;
    const int updates = audit.updates.count(secretName) ? audit.updates.at(secretName) : 0;
    const int maybe = audit.maybe.count(secretName) ? audit.maybe.at(secretName) : 0;
    v.secretCreates += creates;
    v.secretTokenWrites += updates;
    v.ambiguousWrites += maybe;
    if (creates + updates > revision) {
      v.duplicates += creates + updates - revision;
      v.problems.push_back(name + ": " + std::to_string(creates) + " creates + " +
                           std::to_string(updates) + " token writes for revision " +
                           std::to_string(revision));
    } else if (creates + updates + maybe < revision) {
      v.missingWrites += revision - creates - updates - maybe;
      std::string trail;
      if (audit.trail.count(secretName)) {
        for (const auto& step : audit.trail.at(secretName)) trail += "; " + step;
      }
      v.problems.push_back(name + ": revision " + std::to_string(revision) + " but only " +
                           std::to_string(creates + updates) + " recorded writes" + trail);
    }

    auto it = secretByName.find(secretName);
    std::string jwt;
    if (it != secretByName.end()) {
      auto decoded = st::base64Decode(it->second.value("data", Json::object()).value("token", ""));
      if (decoded.isOk()) jwt = std::move(decoded).value();
    }
    if (!active || jwt.empty() || st::tokenHash(jwt) != status.value("tokenHash", "")) {
      ++v.lost;
      v.problems.push_back(
          name + ": " + (active ? "" : "not Active (" + status.value("phase", "none") + "); ") +
          (jwt.empty() ? "no token in its Secret" : "its Secret's token is not the one in status"));
    }
    if (!jwt.empty()) values.push_back(jwt);
  }
  for (const auto& [name, s] : secretByName) {
    const std::string owner =
        s["metadata"].value("labels", Json::object()).value("servicetoken.dev/servicetoken", "");
    if (!tokenNames.count(owner)) {
      ++v.orphans;
      v.problems.push_back("Secret " + name + " belongs to no ServiceToken");
    }
  }

  std::map<std::string, std::string> texts = haystacks;
  texts["ServiceToken status"] = tokens.dump();
  texts["Events"] = events.is_object() ? events.dump() : "";
  for (const std::string& jwt : values) {
    for (const std::string& needle : needlesOf(jwt)) {
      for (const auto& [what, text] : texts) {
        if (text.find(needle) != std::string::npos) {
          ++v.leaks;
          v.problems.push_back("a token value appears in " + what);  // never the value itself
        }
      }
    }
  }
  return v;
}

// Prints the verdict and its first problems, and fails the test unless ok().
inline void expectSound(const Verdict& v, const std::string& scenario) {
  std::cout << "[chaos] " << scenario << ": " << v.summary() << "\n";
  for (size_t i = 0; i < v.problems.size() && i < 20; ++i) {
    std::cout << "[chaos]   " << v.problems[i] << "\n";
  }
  EXPECT_TRUE(v.ok()) << scenario << ": " << v.summary();
}

}  // namespace sttest::chaos
