#include "plugin/status_text.h"

#include <chrono>
#include <iomanip>
#include <sstream>
#include <string_view>

#include "api/codec.h"
#include "controller/object_meta.h"

namespace st::plugin {
namespace {

constexpr int kLabelWidth = 18;

// Conditions whose normal state is False: for them, True is what needs a reason.
bool normallyFalse(const std::string& type) { return type == "Stalled" || type == "Issuing"; }

std::string plainStatus(const std::string& status) {
  if (status == "True") return "yes";
  if (status == "False") return "no";
  return "unknown";
}

// "2026-01-31T00:00:00Z (in 20d)"; the text as written when it does not parse.
std::string timeWithHint(const std::string& text, ctrl::WallTime now) {
  auto t = ctrl::parseRfc3339(text);
  if (!t.isOk()) return text;
  return text + " (" + relativeTime(*t, now) + ")";
}

bool neverExpires(const ServiceToken& t) {
  if (!t.status.expiration.empty()) return t.status.expiration == "Never";
  return t.spec.expiration == "Never";
}

std::string requestedExpiration(const ServiceTokenSpec& spec) {
  if (!spec.expiration.empty()) return spec.expiration;
  if (spec.expiresInDays) return std::to_string(*spec.expiresInDays) + "d";
  return "unset";
}

std::string userLine(const ServiceToken& t) {
  if (!t.status.serviceUserId.empty()) return t.status.serviceUserId;
  if (t.spec.type == TokenType::kPersonal) return t.spec.owner;
  return "not resolved yet (ServiceUser " + t.spec.serviceUserRef + ")";
}

std::string expiresLine(const ServiceToken& t, ctrl::WallTime now) {
  if (!t.status.expiresAt.empty()) return timeWithHint(t.status.expiresAt, now);
  if (neverExpires(t)) return "never";
  return "-";
}

std::string rotationLine(const ServiceToken& t, ctrl::WallTime now) {
  if (neverExpires(t)) return "none (never expires)";
  if (t.spec.rotation.policy == "Disabled") return "disabled";
  if (!t.status.renewalTime.empty()) return timeWithHint(t.status.renewalTime, now);
  return "not scheduled yet";
}

std::string previousLine(const ServiceToken& t, ctrl::WallTime now) {
  if (!t.status.previousToken) return "none";
  const PreviousToken& p = *t.status.previousToken;
  std::string line = p.tokenId.empty() ? "kept" : "token " + p.tokenId + " kept";
  line += " in the Secret under " + std::string(kPreviousTokenKey);
  if (!p.retainedUntil.empty()) line += " until " + timeWithHint(p.retainedUntil, now);
  return line;
}

std::string freshnessLine(const ServiceToken& t) {
  const ServiceTokenStatus& s = t.status;
  if (s.observedGeneration == 0 && s.phase.empty() && s.conditions.empty()) {
    return "not reported yet (the operator has not processed this ServiceToken)";
  }
  const std::string gen = std::to_string(t.meta.generation);
  if (s.observedGeneration == t.meta.generation) return "current (generation " + gen + ")";
  return "stale: reflects generation " + std::to_string(s.observedGeneration) +
         ", the spec is at generation " + gen + " (the operator has not caught up yet)";
}

// Ready, Issuing, Stalled first (in that order), then any others as stored.
std::vector<const Condition*> orderedConditions(const std::vector<Condition>& conditions) {
  std::vector<const Condition*> out;
  for (const char* type : {"Ready", "Issuing", "Stalled"}) {
    for (const Condition& c : conditions) {
      if (c.type == type) out.push_back(&c);
    }
  }
  for (const Condition& c : conditions) {
    if (c.type != "Ready" && c.type != "Issuing" && c.type != "Stalled") out.push_back(&c);
  }
  return out;
}

}  // namespace

std::string relativeTime(ctrl::WallTime t, ctrl::WallTime now) {
  using std::chrono::duration_cast;
  using std::chrono::seconds;
  const int64_t delta = duration_cast<seconds>(t - now).count();
  const int64_t abs = delta < 0 ? -delta : delta;
  if (abs == 0) return "now";
  std::string amount;
  if (abs >= 2 * 86400) {
    amount = std::to_string(abs / 86400) + "d";
  } else if (abs >= 2 * 3600) {
    amount = std::to_string(abs / 3600) + "h";
  } else if (abs >= 2 * 60) {
    amount = std::to_string(abs / 60) + "m";
  } else {
    amount = std::to_string(abs) + "s";
  }
  return delta > 0 ? "in " + amount : amount + " ago";
}

std::string formatCondition(const Condition& c) {
  std::string line = c.type + ": " + plainStatus(c.status);
  const bool abnormal = normallyFalse(c.type) ? c.status != "False" : c.status != "True";
  if (abnormal && !c.reason.empty()) line += " (" + c.reason + ")";
  if (!c.message.empty()) line += " — " + c.message;
  return line;
}

std::string formatStatus(const ServiceToken& t, ctrl::WallTime now) {
  std::ostringstream o;
  auto row = [&o](std::string_view label, const std::string& value) {
    o << std::left << std::setw(kLabelWidth) << (std::string(label) + ":") << value << '\n';
  };
  const ServiceTokenStatus& s = t.status;
  row("Name", t.meta.name);
  row("Namespace", t.meta.namespace_);
  row("Display name", t.spec.displayName);
  row("Type", typeName(t.spec.type));
  row("User", userLine(t));
  row("Scope", t.spec.scimAdministration ? "SCIM administration only (/scim/v2/*)" : "API");
  row("Expiration", !s.expiration.empty() ? s.expiration
                                          : requestedExpiration(t.spec) +
                                                " (requested; not confirmed by the operator yet)");
  row("Phase", s.phase.empty() ? "unknown (no status reported yet)" : s.phase);
  row("Issued", s.issuedAt.empty() ? "not yet" : timeWithHint(s.issuedAt, now));
  row("Expires", expiresLine(t, now));
  row("Next rotation", rotationLine(t, now));
  row("Revision", std::to_string(s.revision) + (s.revision == 0 ? " (no token minted yet)" : ""));
  row("Secret", s.secretName.empty() ? t.secretName() : s.secretName);
  row("Previous token", previousLine(t, now));
  row("Last used", t.lastUsedTime.empty() ? "never (or no verifier reports use)"
                                          : timeWithHint(t.lastUsedTime, now));
  if (auto it = t.meta.annotations.find(kRotateAnnotation); it != t.meta.annotations.end()) {
    const std::string request(it->second);
    row("Manual rotation", request == s.rotateRequest ? "request " + request + " done"
                                                      : "request " + request + " pending");
  }
  if (s.failedAttempts > 0) {
    row("Failed attempts",
        std::to_string(s.failedAttempts) +
            (s.lastFailureTime.empty() ? "" : ", last " + timeWithHint(s.lastFailureTime, now)));
  }
  row("Status", freshnessLine(t));
  o << "Conditions:\n";
  if (s.conditions.empty()) o << "  none reported yet\n";
  for (const Condition* c : orderedConditions(s.conditions)) {
    o << "  " << formatCondition(*c);
    if (c->observedGeneration != 0 && c->observedGeneration != t.meta.generation) {
      o << " [as of generation " << c->observedGeneration << "]";
    }
    o << '\n';
  }
  return o.str();
}

}  // namespace st::plugin
