#include "policy/mint_guard.h"

#include <algorithm>

#include "controller/object_meta.h"

namespace st {
namespace {

// Keeps the entries inside the window ending at `now`, oldest first, at most
// kMaxAutomaticMints of them (older ones can never matter again).
std::vector<std::string> prune(const std::vector<std::string>& history, ctrl::WallTime now) {
  std::vector<std::pair<ctrl::WallTime, std::string>> kept;
  for (const std::string& s : history) {
    auto t = ctrl::parseRfc3339(s);
    if (!t.isOk() || *t > now || now - *t >= kGuardWindow) continue;
    kept.emplace_back(*t, s);
  }
  std::sort(kept.begin(), kept.end());
  if (kept.size() > static_cast<size_t>(kMaxAutomaticMints)) {
    kept.erase(kept.begin(), kept.end() - kMaxAutomaticMints);
  }
  std::vector<std::string> out;
  for (auto& [t, s] : kept) out.push_back(std::move(s));
  return out;
}

}  // namespace

MintGuardDecision evaluateMintGuard(const MintGuardInput& in) {
  static const std::vector<std::string> kNone;
  const std::vector<std::string>& history = in.history != nullptr ? *in.history : kNone;
  MintGuardDecision d;
  if (in.humanActed) return d;  // a human looked: start counting afresh
  d.history = prune(history, in.now);
  if (!in.automatic && !in.tripped) return d;
  if (in.tripped || static_cast<int>(d.history.size()) >= kMaxAutomaticMints) {
    d.allow = false;
    d.message = "Stopped minting: more than " + std::to_string(kMaxAutomaticMints) +
                " tokens in an hour were minted without a spec change or a rotate request, "
                "which points at a loop (something deleting or editing the Secret, or a "
                "schedule that keeps falling due); change the spec or set the "
                "servicetoken.dev/rotate annotation once the cause is fixed";
  }
  return d;
}

std::vector<std::string> recordAutomaticMint(std::vector<std::string> history, ctrl::WallTime now) {
  std::vector<std::string> out = prune(history, now);
  out.push_back(ctrl::formatRfc3339(now));
  if (out.size() > static_cast<size_t>(kMaxAutomaticMints)) out.erase(out.begin());
  return out;
}

}  // namespace st
