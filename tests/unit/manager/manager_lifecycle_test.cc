#include <future>

#include "controller/manager.h"
#include "fake_clock.h"
#include "manager_fakes.h"

namespace mgrtest {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class ManagerLifecycleTest : public ::testing::Test {
 protected:
  std::future<ctrl::Status> startAsync(ctrl::Manager& mgr) {
    return std::async(std::launch::async,
                      [&mgr, token = stop_.get_token()] { return mgr.start(token); });
  }
  static bool ready(std::future<ctrl::Status>& f, std::chrono::milliseconds within = kWait) {
    return f.wait_for(within) == std::future_status::ready;
  }

  std::shared_ptr<Journal> journal_ = std::make_shared<Journal>();
  std::stop_source stop_;
};

TEST_F(ManagerLifecycleTest, StartsEveryRunnableAndStopsThemOnRequest) {
  ctrl::Manager mgr;
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  mgr.add(std::make_unique<FakeRunnable>("other", journal_));
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, /*leaderOnly=*/true));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start cache"));
  ASSERT_TRUE(journal_->waitFor("start other"));
  ASSERT_TRUE(journal_->waitFor("start controller"));  // no elector: leads at once
  EXPECT_TRUE(mgr.leading());
  EXPECT_TRUE(mgr.synced());

  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
  // Leader-only runnables are stopped (and have returned) before the others.
  EXPECT_TRUE(journal_->contains("stop cache"));
  EXPECT_TRUE(journal_->contains("stop other"));
  EXPECT_LT(journal_->indexOf("stop controller"), journal_->indexOf("stop cache"));
  EXPECT_LT(journal_->indexOf("stop controller"), journal_->indexOf("stop other"));
}

TEST_F(ManagerLifecycleTest, WaitsForSyncBeforeStartingLeaderOnlyRunnables) {
  ctrl::Manager mgr;
  auto informer = std::make_shared<FakeInformer>("informer/secrets", journal_);
  mgr.add(informer);  // picked up as a sync check through hasSynced()
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, true));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start informer/secrets"));
  // Polled twice: the manager is inside its sync wait, past any start-up step.
  ASSERT_TRUE(informer->waitForPolls(2));
  EXPECT_FALSE(journal_->contains("start controller"));
  EXPECT_FALSE(mgr.synced());
  EXPECT_FALSE(mgr.leading());

  informer->setSynced();
  ASSERT_TRUE(journal_->waitFor("start controller"));
  EXPECT_TRUE(mgr.synced());
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
}

TEST_F(ManagerLifecycleTest, ExplicitSyncCheckIsHonoured) {
  ctrl::Manager mgr;
  std::atomic<bool> synced{false};
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_), [&] { return synced.load(); });
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, true));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start cache"));
  EXPECT_FALSE(journal_->contains("start controller"));
  synced = true;
  ASSERT_TRUE(journal_->waitFor("start controller"));
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
}

TEST_F(ManagerLifecycleTest, FailingRunnableStopsTheManagerWithItsError) {
  ctrl::Manager mgr;
  auto cache = std::make_shared<FakeRunnable>("cache", journal_);
  mgr.add(cache);
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, true));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("start controller"));

  cache->fail(ctrl::errorStatus(ctrl::Code::kForbidden, "cannot watch secrets"));
  ASSERT_TRUE(ready(result));  // no stop requested from outside
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kForbidden);
  EXPECT_THAT(status.message(), HasSubstr("cache"));
  EXPECT_THAT(status.message(), HasSubstr("cannot watch secrets"));
  EXPECT_TRUE(journal_->contains("stop controller"));
}

TEST_F(ManagerLifecycleTest, ThrowingRunnableBecomesAnInternalError) {
  ctrl::Manager mgr;
  auto bad = std::make_shared<FakeRunnable>("bad", journal_);
  bad->throwOnStart();
  mgr.add(bad);
  mgr.add(std::make_shared<FakeRunnable>("good", journal_));
  auto result = startAsync(mgr);
  ASSERT_TRUE(ready(result));
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kInternal);
  // The type, never what() (it may quote input, e.g. a JSON parse error).
  EXPECT_THAT(status.message(), HasSubstr("std::runtime_error"));
  EXPECT_THAT(status.message(), ::testing::Not(HasSubstr("boom")));
}

TEST_F(ManagerLifecycleTest, CachesThatNeverSyncFailWithTimeout) {
  sttest::FakeClock clock;
  ctrl::ManagerOptions opts;
  opts.cacheSyncTimeout = 10s;
  opts.clock = &clock;
  ctrl::Manager mgr(std::move(opts));
  auto informer = std::make_shared<FakeInformer>("informer/slow", journal_);
  mgr.add(informer);
  mgr.add(std::make_shared<FakeRunnable>("controller", journal_, true));
  auto result = startAsync(mgr);
  // The sync deadline is fixed before the first poll.
  ASSERT_TRUE(informer->waitForPolls(1));
  clock.advance(9s);
  EXPECT_FALSE(ready(result, 0ms));
  clock.advance(1s);
  ASSERT_TRUE(ready(result));
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kTimeout);
  EXPECT_THAT(status.message(), HasSubstr("informer/slow"));
  EXPECT_FALSE(journal_->contains("start controller"));
}

TEST_F(ManagerLifecycleTest, StopRequestedBeforeStartReturnsOk) {
  ctrl::Manager mgr;
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  stop_.request_stop();
  EXPECT_TRUE(mgr.start(stop_.get_token()).isOk());
}

TEST_F(ManagerLifecycleTest, SecondStartIsRejected) {
  ctrl::Manager mgr;
  stop_.request_stop();
  ASSERT_TRUE(mgr.start(stop_.get_token()).isOk());
  EXPECT_EQ(mgr.start(stop_.get_token()).code(), ctrl::Code::kInternal);
}

TEST_F(ManagerLifecycleTest, RunnableThatFinishesEarlyDoesNotStopTheOthers) {
  ctrl::Manager mgr;
  class OneShot final : public ctrl::Runnable {
   public:
    explicit OneShot(std::shared_ptr<Journal> j) : journal_(std::move(j)) {}
    ctrl::Status start(std::stop_token) override {
      journal_->record("oneshot done");
      return ctrl::Status::ok();
    }
    std::string name() const override { return "oneshot"; }

   private:
    std::shared_ptr<Journal> journal_;
  };
  mgr.add(std::make_shared<OneShot>(journal_));
  mgr.add(std::make_shared<FakeRunnable>("cache", journal_));
  auto result = startAsync(mgr);
  ASSERT_TRUE(journal_->waitFor("oneshot done"));
  ASSERT_TRUE(journal_->waitFor("start cache"));
  EXPECT_FALSE(ready(result, 0ms));
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
}

}  // namespace
}  // namespace mgrtest
