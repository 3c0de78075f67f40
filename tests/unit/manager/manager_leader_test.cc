#include <future>
#include <sstream>

#include "controller/log.h"
#include "controller/manager.h"
#include "manager_fakes.h"

namespace mgrtest {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

class ManagerLeaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cache_ = std::make_shared<FakeInformer>("cache", journal_);
    controller_ = std::make_shared<FakeRunnable>("controller", journal_, true);
    mgr_.add(cache_);
    mgr_.add(controller_);
    elector_ = std::make_shared<FakeElector>(journal_, mgr_.leaderCallbacks());
    mgr_.setLeaderElector(elector_);
  }
  std::future<ctrl::Status> startAsync() {
    return std::async(std::launch::async,
                      [this, token = stop_.get_token()] { return mgr_.start(token); });
  }
  static bool ready(std::future<ctrl::Status>& f) {
    return f.wait_for(kWait) == std::future_status::ready;
  }

  std::shared_ptr<Journal> journal_ = std::make_shared<Journal>();
  std::stop_source stop_;
  ctrl::Manager mgr_;
  std::shared_ptr<FakeInformer> cache_;
  std::shared_ptr<FakeRunnable> controller_;
  std::shared_ptr<FakeElector> elector_;
};

TEST_F(ManagerLeaderTest, ElectorRunsOnlyAfterCachesSynced) {
  auto result = startAsync();
  ASSERT_TRUE(cache_->waitForPolls(2));
  EXPECT_FALSE(journal_->contains("elector started"));
  cache_->setSynced();
  ASSERT_TRUE(journal_->waitFor("elector started"));
  EXPECT_LT(journal_->indexOf("start cache"), journal_->indexOf("elector started"));
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
}

TEST_F(ManagerLeaderTest, LeaderOnlyRunnablesStartOnlyOnceLeading) {
  cache_->setSynced();
  auto result = startAsync();
  ASSERT_TRUE(journal_->waitFor("elector started"));
  EXPECT_FALSE(journal_->contains("start controller"));
  EXPECT_FALSE(mgr_.leading());

  elector_->grant();
  ASSERT_TRUE(journal_->waitFor("start controller"));
  EXPECT_TRUE(mgr_.leading());
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
}

TEST_F(ManagerLeaderTest, GracefulStopEndsLeaderWorkBeforeTheElectorAndTheCaches) {
  cache_->setSynced();
  auto result = startAsync();
  elector_->grant();
  ASSERT_TRUE(journal_->waitFor("start controller"));
  stop_.request_stop();
  ASSERT_TRUE(ready(result));
  EXPECT_TRUE(result.get().isOk());
  const int controllerStopped = journal_->indexOf("stop controller");
  const int electorStopped = journal_->indexOf("elector stopped");
  const int cacheStopped = journal_->indexOf("stop cache");
  ASSERT_GE(controllerStopped, 0);
  EXPECT_LT(controllerStopped, electorStopped);  // the lease is released after
  EXPECT_LT(electorStopped, cacheStopped);
}

TEST_F(ManagerLeaderTest, LosingLeadershipStopsEverythingWithAnError) {
  cache_->setSynced();
  auto result = startAsync();
  elector_->grant();
  ASSERT_TRUE(journal_->waitFor("start controller"));

  elector_->lose();
  ASSERT_TRUE(ready(result));  // no stop requested from outside
  const ctrl::Status status = result.get();
  EXPECT_EQ(status.code(), ctrl::Code::kUnavailable);
  EXPECT_THAT(status.message(), HasSubstr("leader election lost"));
  // onStoppedLeading returned only after the leader-only work had stopped.
  EXPECT_LT(journal_->indexOf("stop controller"), journal_->indexOf("elector lost"));
  EXPECT_TRUE(journal_->contains("stop cache"));
  EXPECT_FALSE(mgr_.leading());
}

TEST_F(ManagerLeaderTest, ElectorErrorBeforeLeadingStopsTheManager) {
  cache_->setSynced();
  auto result = startAsync();
  ASSERT_TRUE(journal_->waitFor("elector started"));
  elector_->lose();  // returns Unavailable without ever leading
  ASSERT_TRUE(ready(result));
  EXPECT_EQ(result.get().code(), ctrl::Code::kUnavailable);
  EXPECT_FALSE(journal_->contains("start controller"));
}

TEST(ManagerCallbacksTest, CallbacksOutlivingTheManagerDoNothing) {
  // Everything the callbacks could do would show: onStartedLeading starts
  // leader-only runnables (journal "start controller"), and each callback
  // logs ("Became the leader", "Lost leadership, stopping", V(2) new leader).
  std::ostringstream logs;
  ctrl::log::configure(ctrl::log::Format::kText, 2, &logs);
  auto journal = std::make_shared<Journal>();
  auto controller = std::make_shared<FakeRunnable>("controller", journal, true);
  ctrl::LeaderCallbacks callbacks;
  {
    ctrl::Manager mgr;
    mgr.add(controller);
    callbacks = mgr.leaderCallbacks();
  }
  // The callbacks keep nothing of the manager alive: it let go of the runnable.
  EXPECT_EQ(controller.use_count(), 1);
  callbacks.onStartedLeading();
  callbacks.onNewLeader("someone");
  callbacks.onStoppedLeading();
  ctrl::log::configure(ctrl::log::Format::kText, ctrl::log::kInfoLevel);
  EXPECT_THAT(journal->events(), ::testing::IsEmpty());
  EXPECT_EQ(logs.str(), "");
}

}  // namespace
}  // namespace mgrtest
