#include <future>

#include "controller/manager.h"
#include "fake_clock.h"
#include "manager_fakes.h"

namespace mgrtest {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using namespace std::chrono_literals;

TEST(ManagerShutdownTest, StuckRunnableMakesStartReturnTimeoutAtTheBound) {
  auto journal = std::make_shared<Journal>();
  sttest::FakeClock clock;
  ctrl::ManagerOptions opts;
  opts.gracefulShutdownTimeout = 30s;
  opts.clock = &clock;
  ctrl::Manager mgr(std::move(opts));
  auto stuck = std::make_shared<FakeRunnable>("stuck", journal);
  stuck->ignoreStop();
  mgr.add(stuck);
  mgr.add(std::make_shared<FakeRunnable>("polite", journal));
  mgr.add(std::make_shared<FakeRunnable>("controller", journal, true));
  std::stop_source stop;
  auto result = std::async(std::launch::async, [&] { return mgr.start(stop.get_token()); });
  ASSERT_TRUE(journal->waitFor("start controller"));

  stop.request_stop();
  // Both saw the stop, so the manager has fixed its shutdown deadline.
  ASSERT_TRUE(journal->waitFor("stop polite"));
  ASSERT_TRUE(journal->waitFor("ignored stop stuck"));
  clock.advance(29s);
  EXPECT_NE(result.wait_for(50ms), std::future_status::ready);  // still within the bound
  clock.advance(1s);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kTimeout);
  EXPECT_THAT(status.message(), HasSubstr("stuck"));
  EXPECT_THAT(status.message(), Not(HasSubstr("polite")));
  EXPECT_THAT(status.message(), Not(HasSubstr("controller")));
  EXPECT_FALSE(journal->contains("returned stuck"));

  // Let the detached thread finish before the test ends.
  stuck->release();
  ASSERT_TRUE(journal->waitFor("returned stuck"));
}

TEST(ManagerShutdownTest, RootCauseWinsOverAStuckRunnable) {
  auto journal = std::make_shared<Journal>();
  sttest::FakeClock clock;
  ctrl::ManagerOptions opts;
  opts.gracefulShutdownTimeout = 5s;
  opts.clock = &clock;
  ctrl::Manager mgr(std::move(opts));
  auto stuck = std::make_shared<FakeRunnable>("stuck", journal);
  stuck->ignoreStop();
  auto failing = std::make_shared<FakeRunnable>("failing", journal);
  mgr.add(stuck);
  mgr.add(failing);
  std::stop_source stop;
  auto result = std::async(std::launch::async, [&] { return mgr.start(stop.get_token()); });
  ASSERT_TRUE(journal->waitFor("start stuck"));
  ASSERT_TRUE(journal->waitFor("start failing"));
  failing->fail(ctrl::errorStatus(ctrl::Code::kGone, "too old"));
  ASSERT_TRUE(journal->waitFor("ignored stop stuck"));
  clock.advance(5s);
  ASSERT_EQ(result.wait_for(kWait), std::future_status::ready);
  EXPECT_EQ(result.get().code(), ctrl::Code::kGone);
  stuck->release();
  ASSERT_TRUE(journal->waitFor("returned stuck"));
}

}  // namespace
}  // namespace mgrtest
