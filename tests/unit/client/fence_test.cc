// The write fence and the per-call controls: a fenced client asks the fence
// immediately before each write is sent (after the rate-limit wait), never
// sends a refused write, bounds a granted one by the grant's deadline and
// abandons it when the grant is revoked; every call honours its stop token
// and deadline, rate-limit wait and retries included.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <vector>

#include "client_test_util.h"
#include "controller/client.h"
#include "controller/resource.h"
#include "controller/write_fence.h"
#include "fake_clock.h"
#include "mocks/eventually.h"

namespace sttest {
namespace {

using ctrl::Code;
using ctrl::Json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr const char* kCm = R"({"kind":"ConfigMap","metadata":{"name":"cm"}})";
constexpr const char* kUnavailable503 =
    R"({"kind":"Status","apiVersion":"v1","status":"Failure","message":"unavailable","reason":"ServiceUnavailable","code":503})";

// A fence open until `openUntil` on the clock; counts grants and finishes and
// can revoke the grants it handed out.
class ScriptedFence final : public ctrl::WriteFence {
 public:
  explicit ScriptedFence(const ctrl::Clock& clock) : clock_(clock) {}

  void openUntil(ctrl::MonoTime t, ctrl::MonoTime grantDeadline) {
    std::lock_guard lock(mu_);
    openUntil_ = t;
    grantDeadline_ = grantDeadline;
  }
  void close() {
    std::lock_guard lock(mu_);
    openUntil_ = ctrl::MonoTime::min();
  }
  void revoke() { revoke_.request_stop(); }
  int granted() const { return granted_; }
  int finished() const { return finished_; }

  bool mayWrite() const override {
    std::lock_guard lock(mu_);
    return clock_.now() < openUntil_;
  }
  std::optional<ctrl::WriteGrant> admit() override {
    std::lock_guard lock(mu_);
    if (clock_.now() >= openUntil_) return std::nullopt;
    ++granted_;
    return ctrl::WriteGrant{grantDeadline_, revoke_.get_token()};
  }
  void finish() override { ++finished_; }

 private:
  const ctrl::Clock& clock_;
  mutable std::mutex mu_;
  ctrl::MonoTime openUntil_ = ctrl::MonoTime::max();
  ctrl::MonoTime grantDeadline_ = ctrl::MonoTime::max();
  std::stop_source revoke_;
  std::atomic<int> granted_{0};
  std::atomic<int> finished_{0};
};

class FenceTest : public ::testing::Test {
 protected:
  FenceTest() : fence_(clock_) {
    options_.retryBaseDelay = milliseconds(100);
    options_.maxReadAttempts = 4;
  }
  void build(ctrl::RestConfig config = {}) {
    tc_ = makeTestClient(clock_, std::move(config), options_);
    fenced_ = ctrl::makeFencedClient(*tc_.client, fence_);
  }
  const ctrl::Resource& cms() { return ctrl::resources::configMap(); }

  JumpClock clock_;
  ctrl::ClientOptions options_;
  ScriptedFence fence_;
  TestClient tc_;
  std::unique_ptr<ctrl::Client> fenced_;
};

TEST_F(FenceTest, NoWriteIsSentWhileTheFenceIsClosed) {
  build();
  fence_.close();
  const Json cm = Json::parse(kCm);
  EXPECT_EQ(fenced_->create(cms(), "ns", cm).status().code(), Code::kFenced);
  EXPECT_EQ(fenced_->update(cms(), "ns", cm).status().code(), Code::kFenced);
  EXPECT_EQ(fenced_->updateStatus(cms(), "ns", cm).status().code(), Code::kFenced);
  EXPECT_EQ(
      fenced_->patch(cms(), "ns", "cm", ctrl::PatchType::kMerge, Json::object()).status().code(),
      Code::kFenced);
  EXPECT_EQ(fenced_->createText(cms(), "ns", ctrl::JsonText{kCm}).status().code(), Code::kFenced);
  EXPECT_EQ(fenced_->patchText(cms(), "ns", "cm", ctrl::PatchType::kMerge, ctrl::JsonText{"{}"})
                .status()
                .code(),
            Code::kFenced);
  EXPECT_EQ(fenced_->remove(cms(), "ns", "cm").code(), Code::kFenced);
  EXPECT_EQ(fenced_
                ->createSubresource(ctrl::resources::serviceAccount(), "ns", "sa", "token",
                                    Json::object())
                .status()
                .code(),
            Code::kFenced);
  EXPECT_EQ(tc_.fake->requestCount(), 0u);
  EXPECT_EQ(fence_.granted(), 0);
}

TEST_F(FenceTest, ReadsAndTheUnfencedClientIgnoreTheFence) {
  build();
  fence_.close();
  tc_.fake->pushResponse(200, kCm);
  tc_.fake->pushResponse(200, R"({"kind":"ConfigMapList","metadata":{},"items":[]})");
  tc_.fake->pushResponse(201, kCm);
  EXPECT_TRUE(fenced_->get(cms(), "ns", "cm").isOk());
  EXPECT_TRUE(fenced_->list(cms(), "ns", {}).isOk());
  EXPECT_TRUE(tc_.client->create(cms(), "ns", Json::parse(kCm)).isOk());
  EXPECT_EQ(tc_.fake->requestCount(), 3u);
}

TEST_F(FenceTest, TheFenceIsAskedAfterTheRateLimitWait) {
  ctrl::RestConfig config;
  config.qps = 1;
  config.burst = 1;
  build(config);
  // Open for half a second: the first write takes the bucket's only token,
  // the second waits a second for the next one, and by then the fence is
  // closed. A client that asked the fence before waiting would send it.
  fence_.openUntil(clock_.now() + milliseconds(500), ctrl::MonoTime::max());
  tc_.fake->pushResponse(201, kCm);
  tc_.fake->pushResponse(201, kCm);
  EXPECT_TRUE(fenced_->create(cms(), "ns", Json::parse(kCm)).isOk());
  EXPECT_EQ(fenced_->create(cms(), "ns", Json::parse(kCm)).status().code(), Code::kFenced);
  EXPECT_EQ(tc_.fake->requestCount(), 1u);
}

TEST_F(FenceTest, AGrantBoundsTheExchangeAndIsAlwaysFinished) {
  build();
  fence_.openUntil(ctrl::MonoTime::max(), clock_.now() + seconds(4));
  tc_.fake->pushResponse(201, kCm);
  tc_.fake->pushError(ctrl::Status(Code::kUnavailable, "connection reset"));
  tc_.fake->pushResponse(409, R"({"kind":"Status","reason":"AlreadyExists","code":409})");
  EXPECT_TRUE(fenced_->create(cms(), "ns", Json::parse(kCm)).isOk());
  EXPECT_EQ(tc_.fake->last().timeout, milliseconds(4000));  // not the 30 s request timeout
  EXPECT_EQ(fenced_->update(cms(), "ns", Json::parse(kCm)).status().code(), Code::kUnavailable);
  EXPECT_EQ(fenced_->create(cms(), "ns", Json::parse(kCm)).status().code(), Code::kAlreadyExists);
  EXPECT_EQ(fence_.granted(), 3);
  EXPECT_EQ(fence_.finished(), 3);
}

TEST_F(FenceTest, AGrantThatHasRunOutIsFencedUnsent) {
  build();
  fence_.openUntil(ctrl::MonoTime::max(), clock_.now());
  EXPECT_EQ(fenced_->create(cms(), "ns", Json::parse(kCm)).status().code(), Code::kFenced);
  EXPECT_EQ(tc_.fake->requestCount(), 0u);
  EXPECT_EQ(fence_.finished(), fence_.granted());
}

TEST_F(FenceTest, TheTransportAsksTheGrantAgainJustBeforeWriting) {
  build();
  fence_.openUntil(ctrl::MonoTime::max(), clock_.now() + seconds(4));
  std::vector<bool> allowed;
  tc_.fake->setSendHook([&](const ctrl::HttpRequest& req, std::stop_token) {
    ASSERT_TRUE(req.beforeWrite) << "a fenced write carries its check";
    allowed.push_back(req.beforeWrite());
    // The process stops here, past the grant's deadline (SIGSTOP).
    clock_.advance(seconds(5));
    allowed.push_back(req.beforeWrite());
  });
  tc_.fake->pushResponse(201, kCm);
  (void)fenced_->create(cms(), "ns", Json::parse(kCm));
  EXPECT_EQ(allowed, (std::vector<bool>{true, false}));
  // Reads carry no check.
  tc_.fake->setSendHook(
      [&](const ctrl::HttpRequest& req, std::stop_token) { EXPECT_FALSE(req.beforeWrite); });
  tc_.fake->pushResponse(200, kCm);
  EXPECT_TRUE(fenced_->get(cms(), "ns", "cm").isOk());
}

TEST_F(FenceTest, ARevokedGrantFailsTheCheckBeforeWriting) {
  build();
  bool allowed = true;
  tc_.fake->setSendHook([&](const ctrl::HttpRequest& req, std::stop_token) {
    fence_.revoke();
    allowed = req.beforeWrite();
  });
  tc_.fake->pushResponse(201, kCm);
  (void)fenced_->create(cms(), "ns", Json::parse(kCm));
  EXPECT_FALSE(allowed);
}

TEST_F(FenceTest, AWriteInFlightIsAbandonedWhenItsGrantIsRevoked) {
  build();
  std::promise<void> sending;
  tc_.fake->setSendHook([&](const ctrl::HttpRequest&, std::stop_token stop) {
    sending.set_value();
    // A hung exchange: only cancellation ends it (the bound is a safety net).
    std::mutex mu;
    std::condition_variable_any cv;
    std::unique_lock lock(mu);
    cv.wait_for(lock, stop, seconds(20), [] { return false; });
  });
  auto result = std::async(std::launch::async,
                           [&] { return fenced_->create(cms(), "ns", Json::parse(kCm)); });
  sending.get_future().wait();
  fence_.revoke();
  ASSERT_EQ(result.wait_for(seconds(10)), std::future_status::ready) << "the write hung";
  EXPECT_EQ(result.get().status().code(), Code::kFenced);
  EXPECT_EQ(fence_.finished(), 1);
}

TEST_F(FenceTest, AStoppedCallIsNotSentAndAStopEndsAnExchange) {
  build();
  std::stop_source stop;
  stop.request_stop();
  ctrl::CallOptions call;
  call.stop = stop.get_token();
  EXPECT_EQ(tc_.client->get(cms(), "ns", "cm", call).status().code(), Code::kCancelled);
  EXPECT_EQ(tc_.fake->requestCount(), 0u);

  std::stop_source later;
  call.stop = later.get_token();
  tc_.fake->setSendHook([&](const ctrl::HttpRequest&, std::stop_token) { later.request_stop(); });
  EXPECT_EQ(tc_.client->create(cms(), "ns", Json::parse(kCm), {}, call).status().code(),
            Code::kCancelled);
  EXPECT_EQ(tc_.fake->requestCount(), 1u);
}

TEST_F(FenceTest, ADeadlineBoundsTheExchangeAndTheRetries) {
  build();
  for (int i = 0; i < 4; ++i) tc_.fake->pushResponse(503, kUnavailable503);
  ctrl::CallOptions call;
  call.deadline = clock_.now() + milliseconds(250);
  // Attempts at +0 and +100 ms; the next would start at +300 ms, past the
  // deadline, so the last answer is returned instead of waiting for it.
  EXPECT_EQ(tc_.client->get(cms(), "ns", "cm", call).status().code(), Code::kUnavailable);
  const auto requests = tc_.fake->requests();
  ASSERT_EQ(requests.size(), 2u);
  EXPECT_EQ(requests[0].request.timeout, milliseconds(250));
  EXPECT_EQ(requests[1].request.timeout, milliseconds(150));

  call.deadline = clock_.now();
  EXPECT_EQ(tc_.client->get(cms(), "ns", "cm", call).status().code(), Code::kTimeout);
  EXPECT_EQ(tc_.fake->requestCount(), 2u);
}

TEST(CallOptionsTest, AStopEndsARetryWait) {
  FakeClock clock;  // time stands still: only the stop can end the wait
  ctrl::ClientOptions options;
  auto tc = makeTestClient(clock, {}, options);
  tc.fake->pushResponse(503, kUnavailable503, {{"Retry-After", "5"}});
  std::stop_source stop;
  ctrl::CallOptions call;
  call.stop = stop.get_token();
  auto result = std::async(std::launch::async, [&] {
    return tc.client->get(ctrl::resources::configMap(), "ns", "cm", call);
  });
  ASSERT_TRUE(eventually([&] { return tc.fake->requestCount() == 1; }));
  stop.request_stop();
  ASSERT_EQ(result.wait_for(seconds(10)), std::future_status::ready) << "the retry wait hung";
  EXPECT_EQ(result.get().status().code(), Code::kCancelled);
  EXPECT_EQ(tc.fake->requestCount(), 1u);
}

}  // namespace
}  // namespace sttest
