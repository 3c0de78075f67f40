#include "policy/mint_guard.h"

#include <gtest/gtest.h>

#include "controller/object_meta.h"

namespace st {
namespace {

using std::chrono::minutes;

const ctrl::WallTime kNow = std::chrono::sys_days{std::chrono::year{2026} / 3 / 1};

std::string at(ctrl::Duration ago) { return ctrl::formatRfc3339(kNow - ago); }

MintGuardDecision decide(const std::vector<std::string>& history, bool automatic,
                         bool tripped = false, bool humanActed = false) {
  MintGuardInput in;
  in.history = &history;
  in.automatic = automatic;
  in.tripped = tripped;
  in.humanActed = humanActed;
  in.now = kNow;
  return evaluateMintGuard(in);
}

TEST(MintGuard, AllowsThreeAutomaticMintsAnHourAndRefusesTheFourth) {
  std::vector<std::string> history;
  for (int i = 0; i < kMaxAutomaticMints; ++i) {
    EXPECT_TRUE(decide(history, true).allow) << i;
    history = recordAutomaticMint(history, kNow - minutes(10 - i));
  }
  MintGuardDecision d = decide(history, true);
  EXPECT_FALSE(d.allow);
  EXPECT_NE(d.message.find("rotate"), std::string::npos) << d.message;
}

TEST(MintGuard, MintsOlderThanTheWindowDoNotCount) {
  std::vector<std::string> history{at(minutes(61)), at(minutes(70)), at(minutes(30)),
                                   at(minutes(20))};
  MintGuardDecision d = decide(history, true);
  EXPECT_TRUE(d.allow);
  EXPECT_EQ(d.history, (std::vector<std::string>{at(minutes(30)), at(minutes(20))}));
}

TEST(MintGuard, MintsAHumanAskedForAreNeverRefusedUnlessTripped) {
  std::vector<std::string> full{at(minutes(3)), at(minutes(2)), at(minutes(1))};
  EXPECT_TRUE(decide(full, /*automatic=*/false).allow);
}

TEST(MintGuard, OnceTrippedOnlyAHumanReleasesIt) {
  // The hour has passed: the history alone would allow a mint again.
  EXPECT_FALSE(decide({}, true, /*tripped=*/true).allow);
  EXPECT_FALSE(decide({}, false, /*tripped=*/true).allow);
  MintGuardDecision released = decide({at(minutes(1)), at(minutes(2)), at(minutes(3))}, true,
                                      /*tripped=*/true, /*humanActed=*/true);
  EXPECT_TRUE(released.allow);
  EXPECT_TRUE(released.history.empty()) << "counting starts afresh after a human acted";
}

TEST(MintGuard, RecordingKeepsAtMostTheLastThree) {
  std::vector<std::string> h;
  for (int i = 5; i >= 0; --i) h = recordAutomaticMint(h, kNow - minutes(i));
  EXPECT_EQ(h, (std::vector<std::string>{at(minutes(2)), at(minutes(1)), at(minutes(0))}));
  // Unparsable entries (a hand-edited status) are dropped, not trusted.
  EXPECT_EQ(recordAutomaticMint({"yesterday"}, kNow), (std::vector<std::string>{at(minutes(0))}));
}

}  // namespace
}  // namespace st
