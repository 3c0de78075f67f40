// The event recorder against a REAL kube-apiserver: the API accepts our
// events.k8s.io/v1 Events, and repeats become one Event with a series.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.h"
#include "controller/client.h"
#include "controller/event_recorder.h"
#include "controller/resource.h"
#include "mocks/eventually.h"

namespace sttest {
namespace {

using namespace std::chrono_literals;

class RecorderIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    client_ = adminClient();
    ASSERT_NE(client_, nullptr);
    static std::atomic<int> counter{0};
    ns_ = "events-it-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
    auto created = client_->create(ctrl::resources::namespace_(), "",
                                   ctrl::Json{{"metadata", {{"name", ns_}}}});
    ASSERT_TRUE(created.isOk()) << created.status().toString();
    auto cm = client_->create(
        ctrl::resources::configMap(), ns_,
        ctrl::Json{
            {"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", {{"name", "subject"}}}});
    ASSERT_TRUE(cm.isOk()) << cm.status().toString();
    subject_ = {"ConfigMap",
                "v1",
                ns_,
                "subject",
                (*cm)["metadata"]["uid"].get<std::string>(),
                (*cm)["metadata"]["resourceVersion"].get<std::string>()};

    ctrl::EventRecorderOptions options;
    options.reportingController = "servicetoken.dev/operator";
    options.reportingInstance = "integration-test";
    auto recorder =
        ctrl::AsyncEventRecorder::create(*client_, ctrl::RealClock::instance(), options);
    ASSERT_TRUE(recorder.isOk()) << recorder.status().toString();
    recorder_ = std::move(recorder).value();
    auto done = std::make_shared<std::promise<ctrl::Status>>();
    result_ = done->get_future();
    sender_ =
        std::jthread([this, done](std::stop_token s) { done->set_value(recorder_->start(s)); });
  }
  void TearDown() override { (void)stop(); }

  ctrl::Status stop() {
    if (!sender_.joinable()) return ctrl::Status::ok();
    sender_.request_stop();
    sender_.join();
    return result_.get();
  }

  std::vector<ctrl::Json> events() {
    auto page = client_->list(ctrl::resources::event(), ns_, {});
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    std::vector<ctrl::Json> out;
    if (page.isOk()) {
      for (const auto& e : *page->items) out.push_back(e);
    }
    return out;
  }

  std::unique_ptr<ctrl::Client> client_;
  std::string ns_;
  ctrl::ObjectRef subject_;
  std::unique_ptr<ctrl::AsyncEventRecorder> recorder_;
  std::future<ctrl::Status> result_;
  std::jthread sender_;
};

TEST_F(RecorderIntegrationTest, RepeatsBecomeOneEventWithASeries) {
  for (int i = 0; i < 3; ++i) {
    recorder_->event(subject_, ctrl::EventType::kWarning, "IssueFailed", "IssueToken",
                     "Failed to issue a token: the ServiceAccount does not exist");
  }
  ASSERT_TRUE(eventually(
      [&] {
        auto all = events();
        return all.size() == 1 && all[0].contains("series") && all[0]["series"]["count"] >= 2;
      },
      30s))
      << "no Event with a series";

  auto stored = events();
  ASSERT_EQ(stored.size(), 1U);
  const ctrl::Json& e = stored[0];
  EXPECT_EQ(e["reason"], "IssueFailed");
  EXPECT_EQ(e["action"], "IssueToken");
  EXPECT_EQ(e["type"], "Warning");
  EXPECT_EQ(e["reportingController"], "servicetoken.dev/operator");
  EXPECT_EQ(e["reportingInstance"], "integration-test");
  EXPECT_EQ(e["regarding"]["uid"], subject_.uid);
  EXPECT_EQ(e["regarding"]["name"], "subject");
  EXPECT_TRUE(e["series"].contains("lastObservedTime"));
  EXPECT_EQ(recorder_->failed(), 0U);

  // Stopping flushes the count not yet sent.
  ASSERT_TRUE(stop().isOk());
  stored = events();
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["series"]["count"], 3);
  EXPECT_EQ(recorder_->failed(), 0U);
}

TEST_F(RecorderIntegrationTest, ApiAcceptsLongNotesAndClusterScopedSubjects) {
  recorder_->event(subject_, ctrl::EventType::kNormal, "Issued", "IssueToken",
                   std::string(3000, 'x'));
  ctrl::ObjectRef cluster{"Namespace", "v1", "", ns_, "", ""};
  recorder_->event(cluster, ctrl::EventType::kNormal, "Observed", "Reconcile", "cluster-scoped");
  ASSERT_TRUE(eventually([&] { return recorder_->processed() == 2; }, 30s));
  EXPECT_EQ(recorder_->failed(), 0U) << "the API rejected an event";
  auto stored = events();
  ASSERT_EQ(stored.size(), 1U);
  EXPECT_EQ(stored[0]["note"].get<std::string>().size(), 1024U);
}

}  // namespace
}  // namespace sttest
