// Last Used: what the request path queues, what the writer writes (one
// status patch per token per minute, the latest use, the cached
// resourceVersion as precondition, the verifier's field manager), and what
// it does with Conflict, NotFound and the rate limit. FakeApi + FakeClock.
#include "verifier/last_used.h"

#include <gtest/gtest.h>

#include <thread>

#include "api/types.h"
#include "fake_clock.h"
#include "mocks/eventually.h"
#include "mocks/fake_api.h"

namespace sttest {
namespace {

using st::verifier::Grant;
using st::verifier::LastUsedRecorder;
using std::chrono::seconds;

class LastUsed : public ::testing::Test {
 protected:
  void SetUp() override { putToken("t1"); }
  ~LastUsed() override { stopWriter(); }

  void putToken(const std::string& name) {
    api_.put(st::serviceTokenResource(), {{"apiVersion", st::kApiVersion},
                                          {"kind", "ServiceToken"},
                                          {"metadata", {{"name", name}, {"namespace", "default"}}},
                                          {"spec", {{"displayName", name}}},
                                          {"status", {{"phase", "Active"}}}});
  }
  Grant grant(const std::string& name, std::optional<ctrl::WallTime> lastUsed = std::nullopt) {
    Grant g;
    g.serviceTokenNamespace = "default";
    g.serviceTokenName = name;
    g.serviceTokenResourceVersion =
        api_.object(st::serviceTokenResource(), "default", name)["metadata"].value(
            "resourceVersion", "");
    g.lastUsedTime = lastUsed;
    return g;
  }
  std::string lastUsedOf(const std::string& name) {
    ctrl::Json o = api_.object(st::serviceTokenResource(), "default", name);
    return o.is_null() ? "" : o["status"].value("lastUsedTime", "");
  }
  int patches() { return api_.count("patch", "servicetokens", "status"); }

  void startWriter(st::verifier::LastUsedOptions options = {.maxWritesPerSecond = 0,
                                                            .maxPending = 100}) {
    recorder_ = std::make_unique<LastUsedRecorder>(api_, clock_, options);
    thread_ = std::thread([this] { EXPECT_TRUE(recorder_->start(stop_.get_token()).isOk()); });
  }
  void stopWriter() {
    stop_.request_stop();
    if (thread_.joinable()) thread_.join();
  }
  // Waits until the recorder has sent `n` patches.
  bool waitWrites(uint64_t n) {
    return eventually([&] { return recorder_->writes() >= n; });
  }

  FakeApi api_;
  FakeClock clock_;
  std::unique_ptr<LastUsedRecorder> recorder_;
  std::stop_source stop_;
  std::thread thread_;
};

TEST(LastUsedDue, AtMostOnceAMinute) {
  const ctrl::WallTime t{std::chrono::sys_days{std::chrono::year{2026} / 1 / 1}};
  EXPECT_TRUE(st::verifier::lastUsedDue(std::nullopt, t));
  EXPECT_FALSE(st::verifier::lastUsedDue(t, t + seconds(59)));
  EXPECT_TRUE(st::verifier::lastUsedDue(t, t + seconds(60)));
}

TEST_F(LastUsed, AFirstUseIsWrittenOnceAndRepeatsWithinTheMinuteAreNot) {
  startWriter();
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(1));
  EXPECT_EQ(lastUsedOf("t1"), "2026-01-01T00:00:00Z");
  EXPECT_EQ(patches(), 1);

  // The cache has not seen the write yet (the grant still says never used):
  // the process remembers its own write.
  clock_.advance(seconds(30));
  recorder_->touch(grant("t1"), clock_.wallNow());
  clock_.advance(seconds(29));
  recorder_->touch(grant("t1"), clock_.wallNow());
  // A minute after the written use, the next use is written.
  clock_.advance(seconds(1));
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(2));
  EXPECT_EQ(lastUsedOf("t1"), "2026-01-01T00:01:00Z");
  EXPECT_EQ(patches(), 2);
}

TEST_F(LastUsed, AUseTheCacheAlreadyShowsAsRecentIsNotQueued) {
  startWriter();
  recorder_->touch(grant("t1", clock_.wallNow() - seconds(10)), clock_.wallNow());
  recorder_->touch(grant("t1"), clock_.wallNow());  // the control: this one is written
  ASSERT_TRUE(waitWrites(1));
  EXPECT_EQ(patches(), 1);
  EXPECT_EQ(recorder_->writes(), 1u);
}

TEST_F(LastUsed, UsesWhileAWriteIsPendingAreCoalescedIntoTheLatest) {
  recorder_ = std::make_unique<LastUsedRecorder>(
      api_, clock_, st::verifier::LastUsedOptions{.maxWritesPerSecond = 0, .maxPending = 100});
  for (int i = 0; i < 5; ++i) {
    recorder_->touch(grant("t1"), clock_.wallNow());
    clock_.advance(seconds(7));
  }
  thread_ = std::thread([this] { EXPECT_TRUE(recorder_->start(stop_.get_token()).isOk()); });
  ASSERT_TRUE(waitWrites(1));
  EXPECT_EQ(lastUsedOf("t1"), "2026-01-01T00:00:28Z");
  EXPECT_EQ(patches(), 1);
}

TEST_F(LastUsed, TheWriteCarriesTheCachedResourceVersionAndAConflictDropsIt) {
  const Grant stale = grant("t1");
  putToken("t1");  // changed on the server since the cache saw it
  startWriter();
  recorder_->touch(stale, clock_.wallNow());
  ASSERT_TRUE(waitWrites(1));
  EXPECT_EQ(lastUsedOf("t1"), "") << "a write on a stale version must not land";
  // The next use, on the fresh version, is written.
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(2));
  EXPECT_EQ(lastUsedOf("t1"), "2026-01-01T00:00:00Z");
}

TEST_F(LastUsed, AFailedWriteLeavesTheNextUseToTryAgain) {
  const Grant g = grant("t1");
  api_.erase(st::serviceTokenResource(), "default", "t1");
  startWriter();
  recorder_->touch(g, clock_.wallNow());
  ASSERT_TRUE(waitWrites(1));  // NotFound
  api_.setFault([](const std::string&, const std::string&, const std::string&) {
    return ctrl::Status(ctrl::Code::kUnavailable, "the server is down");
  });
  putToken("t1");
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(2));  // Unavailable
  EXPECT_EQ(lastUsedOf("t1"), "");
  api_.setFault(nullptr);
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(3));
  EXPECT_EQ(lastUsedOf("t1"), "2026-01-01T00:00:00Z");
}

TEST_F(LastUsed, TheRateLimitSpreadsWritesOnTheClock) {
  putToken("t2");
  startWriter({.maxWritesPerSecond = 1, .maxPending = 100});
  recorder_->touch(grant("t1"), clock_.wallNow());
  recorder_->touch(grant("t2"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(1));
  // The second waits for fake time to move on.
  EXPECT_FALSE(eventually([&] { return recorder_->writes() >= 2; }, std::chrono::milliseconds(50)));
  clock_.advance(seconds(1));
  EXPECT_TRUE(waitWrites(2));
}

TEST_F(LastUsed, GrantsWithoutAServiceTokenAreIgnored) {
  startWriter();
  recorder_->touch(Grant{}, clock_.wallNow());
  recorder_->touch(grant("t1"), clock_.wallNow());
  ASSERT_TRUE(waitWrites(1));
  EXPECT_EQ(recorder_->writes(), 1u);
}

}  // namespace
}  // namespace sttest
