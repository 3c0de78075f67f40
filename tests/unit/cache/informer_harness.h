// A test rig for Informer<Item>: a FakeWatchClient on a FakeClock, handlers
// that record every call as text ("add ns/a 1", "update ns/a 1->2",
// "delete ns/b 2"), the backoff delays the reflector waited, and the
// informer running on its own thread.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "controller/informer.h"
#include "controller/object_meta.h"
#include "fake_clock.h"
#include "mocks/fake_watch_client.h"

namespace cachetest {

// The typed object under test: metadata plus one field.
struct Item {
  ctrl::ObjectMeta meta;
  std::string value;
};

// Objects with "bad": true fail to decode; with "throw": true the codec throws.
inline ctrl::StatusOr<Item> decodeItem(const ctrl::Json& j) {
  if (j.contains("throw")) throw std::runtime_error("codec exploded");
  if (j.contains("bad")) return ctrl::Status(ctrl::Code::kInvalidArgument, "value: bad");
  auto meta = ctrl::decodeObjectMetaOf(j);
  if (!meta.isOk()) return meta.status();
  Item item{std::move(meta).value(), {}};
  if (auto it = j.find("value"); it != j.end() && it->is_string())
    item.value = it->get<std::string>();
  return item;
}

inline ctrl::Json item(const std::string& name, const std::string& rv,
                       const std::string& value = "") {
  return sttest::makeObject("ns", name, rv, {{"value", value}});
}

inline ctrl::Resource testResource() { return ctrl::Resource{"", "v1", "things", "Thing", true}; }

class InformerRig {
 public:
  // `fakeSilenceClock`: the watch silence check runs on the rig's fake clock
  // too (by default it runs on the real clock, as in production).
  explicit InformerRig(ctrl::ReflectorOptions options = {}, bool fakeSilenceClock = false) {
    if (fakeSilenceClock) options.watchIdleClock = &clock_;
    if (options.resource.plural.empty()) options.resource = testResource();
    if (options.ns.empty()) options.ns = "ns";
    options.onBackoff = [this](ctrl::Duration delay, const ctrl::Status& cause) {
      std::lock_guard lock(mu_);
      backoffs_.push_back(delay);
      backoffCauses_.push_back(cause.code());
      cv_.notify_all();
    };
    informer_ = std::make_unique<ctrl::Informer<Item>>(fake_, fake_, std::move(options), decodeItem,
                                                       clock_);
    auto h = ctrl::EventHandlers<Item>{};
    h.onAdd = [this](const std::shared_ptr<const Item>& o) {
      record("add " + o->meta.key() + " " + o->meta.resourceVersion);
    };
    h.onUpdate = [this](const std::shared_ptr<const Item>& a,
                        const std::shared_ptr<const Item>& b) {
      record("update " + b->meta.key() + " " + a->meta.resourceVersion + "->" +
             b->meta.resourceVersion);
    };
    h.onDelete = [this](const std::shared_ptr<const Item>& o) {
      record("delete " + o->meta.key() + " " + o->meta.resourceVersion);
    };
    EXPECT_TRUE(informer_->addEventHandler(std::move(h)).isOk());
  }

  ~InformerRig() { (void)stop(); }

  void start() {
    thread_ = std::jthread([this](std::stop_token stop) {
      ctrl::Status s = informer_->start(stop);
      std::lock_guard lock(mu_);
      result_ = s;
      finished_ = true;
      cv_.notify_all();
    });
  }
  // Requests stop and joins; returns what start() returned.
  ctrl::Status stop() {
    if (thread_.joinable()) {
      thread_.request_stop();
      thread_.join();
    }
    std::lock_guard lock(mu_);
    return result_;
  }

  // Waits (real time, bounded) until `pred` holds. Handler calls and backoffs
  // wake the wait; a short re-check period covers the rest.
  bool eventually(const std::function<bool()>& pred,
                  std::chrono::seconds timeout = std::chrono::seconds(10)) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu_);
    while (true) {
      lock.unlock();
      bool ok = pred();
      lock.lock();
      if (ok) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      cv_.wait_for(lock, std::chrono::milliseconds(5));
    }
  }

  // Waits for the n-th backoff to begin, then advances the fake clock by
  // exactly its delay. Returns the delay (zero when it never began).
  ctrl::Duration passBackoff(size_t n) {
    if (!eventually([&] { return backoffs().size() >= n; })) return ctrl::Duration::zero();
    ctrl::Duration delay = backoffs()[n - 1];
    clock_.advance(delay);
    return delay;
  }

  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  std::vector<ctrl::Duration> backoffs() const {
    std::lock_guard lock(mu_);
    return backoffs_;
  }
  std::vector<ctrl::Code> backoffCauses() const {
    std::lock_guard lock(mu_);
    return backoffCauses_;
  }
  bool finished() const {
    std::lock_guard lock(mu_);
    return finished_;
  }

  sttest::FakeClock& clock() { return clock_; }
  sttest::FakeWatchClient& fake() { return fake_; }
  ctrl::Informer<Item>& informer() { return *informer_; }
  const ctrl::Store<Item>& store() { return informer_->store(); }

 private:
  void record(std::string e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }

  sttest::FakeClock clock_;
  sttest::FakeWatchClient fake_{&clock_};
  std::unique_ptr<ctrl::Informer<Item>> informer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  std::vector<ctrl::Duration> backoffs_;
  std::vector<ctrl::Code> backoffCauses_;
  ctrl::Status result_;
  bool finished_ = false;
  std::jthread thread_;  // last: joined first on destruction
};

}  // namespace cachetest
