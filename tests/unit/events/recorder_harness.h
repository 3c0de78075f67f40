// Test harness for the event recorder: a fake API store, a fake clock and the
// recorder's sender running on its own thread.
#pragma once

#include <gtest/gtest.h>

#include <future>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "controller/event_recorder.h"
#include "controller/micro_time.h"
#include "controller/resource.h"
#include "fake_clock.h"
#include "mocks/eventually.h"
#include "mocks/fake_lease_client.h"
#include "mocks/gate.h"

namespace sttest {

using namespace std::chrono_literals;

class RecorderTest : public ::testing::Test {
 protected:
  ~RecorderTest() override { (void)stop(); }

  ctrl::EventRecorderOptions options() {
    ctrl::EventRecorderOptions o;
    o.reportingController = "servicetoken.dev/operator";
    o.reportingInstance = "operator-0";
    return o;
  }

  void makeRecorder(ctrl::EventRecorderOptions o) {
    auto r = ctrl::AsyncEventRecorder::create(client_, clock_, std::move(o));
    ASSERT_TRUE(r.isOk()) << r.status().toString();
    recorder_ = std::move(r).value();
  }
  void startSender() {
    auto done = std::make_shared<std::promise<ctrl::Status>>();
    result_ = done->get_future();
    sender_ = std::jthread(
        [this, done](std::stop_token stop) { done->set_value(recorder_->start(stop)); });
  }
  // Requests stop; returns start()'s result (OK when it was never started).
  ctrl::Status stop() {
    if (!sender_.joinable()) return ctrl::Status::ok();
    sender_.request_stop();
    sender_.join();
    return result_.get();
  }
  bool processed(uint64_t n) {
    return eventually([&] { return recorder_->processed() >= n; });
  }

  std::vector<ctrl::Json> events(const std::string& ns) {
    return client_.objects(ctrl::resources::event(), ns);
  }
  std::string wallText() { return ctrl::formatMicroTime(clock_.wallNow()); }

  // Records the same Normal "Issued" event about token(name).
  void recordIssued(const std::string& name) {
    recorder_->event(token(name), ctrl::EventType::kNormal, "Issued", "IssueToken", "n");
  }
  // The stored Events of `ns` by regarding object's name: each Event's
  // series count (1 for an Event without a series).
  std::map<std::string, std::vector<int>> countsByName(const std::string& ns) {
    std::map<std::string, std::vector<int>> counts;
    for (const auto& e : events(ns)) {
      const int count = e.contains("series") ? e["series"]["count"].get<int>() : 1;
      counts[e["regarding"]["name"].get<std::string>()].push_back(count);
    }
    return counts;
  }

  ctrl::ObjectRef token(const std::string& name = "api") {
    return {"ServiceToken", "servicetoken.dev/v1alpha1", "team-a", name, "uid-" + name, "42"};
  }

  FakeClock clock_;
  FakeLeaseClient client_;
  std::unique_ptr<ctrl::AsyncEventRecorder> recorder_;
  std::future<ctrl::Status> result_;
  std::jthread sender_;
};

}  // namespace sttest
