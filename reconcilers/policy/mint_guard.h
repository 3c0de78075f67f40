// The mint-rate guard: defence in depth against a mint loop (PRODUCT.md §3
// rule 11). Whatever a bug or a fight with another controller does (a Secret
// pruned again and again, a schedule that keeps falling due), a token is
// minted at most kMaxAutomaticMints times per kGuardWindow without a human
// asking. Mints a human asked for (the first mint, a spec change, the rotate
// annotation) are never counted and never refused.
//
// Once tripped the guard stays tripped — time alone does not release it —
// until a human changes something: the spec (a new generation) or the rotate
// annotation. Pure functions of their arguments.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "controller/clock.h"

namespace st {

inline constexpr int kMaxAutomaticMints = 3;
inline constexpr std::chrono::hours kGuardWindow{1};

struct MintGuardInput {
  // status.automaticMints: RFC 3339 times of earlier automatic mints.
  const std::vector<std::string>* history = nullptr;
  bool tripped = false;     // the guard refused before (Stalled, MintRateExceeded)
  bool humanActed = false;  // spec or rotate annotation changed since it tripped
  bool automatic = false;   // the mint now due was not asked for by a human
  ctrl::WallTime now{};
};

struct MintGuardDecision {
  bool allow = true;
  // The history to record: pruned to the window; the caller appends `now`
  // after an automatic mint succeeds (recordAutomaticMint).
  std::vector<std::string> history;
  std::string message;  // why it refused, a human sentence
};

MintGuardDecision evaluateMintGuard(const MintGuardInput& in);

// The history after an automatic mint at `now`: pruned, `now` appended.
std::vector<std::string> recordAutomaticMint(std::vector<std::string> history, ctrl::WallTime now);

}  // namespace st
