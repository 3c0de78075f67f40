// A unit-test fake Reader + Watcher for the reflector and informer.
//
// LIST answers come from a script, in order (Unavailable "no scripted list"
// when it runs out). WATCH reads one shared script of stream items: events
// and ends. A watch() call delivers events until it takes an end item (and
// returns its Status), the handler returns false (Cancelled; the remaining
// items are left for the next call), or stop is requested. When the script
// is empty the call blocks, like a quiet watch, until more is pushed or stop.
// Every call is recorded with its options and the clock's time. Thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "controller/client.h"
#include "controller/clock.h"

namespace sttest {

struct RecordedList {
  std::string ns;
  ctrl::ListOptions options;
};

struct RecordedWatch {
  std::string ns;
  ctrl::WatchOptions options;
  ctrl::MonoTime at;  // the clock's time when watch() was called
};

// {"metadata":{"namespace":ns,"name":name,"resourceVersion":rv}, ...extra}
inline ctrl::Json makeObject(const std::string& ns, const std::string& name, const std::string& rv,
                             ctrl::Json extra = ctrl::Json::object()) {
  ctrl::Json obj = std::move(extra);
  obj["metadata"]["name"] = name;
  if (!ns.empty()) obj["metadata"]["namespace"] = ns;
  obj["metadata"]["resourceVersion"] = rv;
  return obj;
}

// A Status object as the API sends inside a watch ERROR event.
inline ctrl::Json statusObject(int code, const std::string& reason, const std::string& message) {
  return {{"kind", "Status"}, {"apiVersion", "v1"}, {"status", "Failure"},
          {"code", code},     {"reason", reason},   {"message", message}};
}

class FakeWatchClient final : public ctrl::Reader, public ctrl::Watcher {
 public:
  explicit FakeWatchClient(const ctrl::Clock* clock = nullptr) : clock_(clock) {}

  // Scripts the next list() answer.
  void pushListPage(std::vector<ctrl::Json> items, std::string resourceVersion,
                    std::string continueToken = "") {
    std::lock_guard lock(mu_);
    lists_.push_back(Page{std::move(items), std::move(resourceVersion), std::move(continueToken)});
  }
  void pushListError(ctrl::Status status) {
    std::lock_guard lock(mu_);
    lists_.push_back(std::move(status));
  }

  // Appends an event to the watch script.
  void pushEvent(ctrl::WatchEventType type, ctrl::Json object) {
    push(Item{type, std::move(object), std::nullopt});
  }
  // Appends an end: the current watch() call returns `status` (OK: the server
  // closed the stream; Gone: HTTP 410; Unavailable: connection failed ...).
  void pushEnd(ctrl::Status status) {
    push(Item{ctrl::WatchEventType::kError, ctrl::Json(), std::move(status)});
  }

  std::vector<RecordedList> lists() const {
    std::lock_guard lock(mu_);
    return listCalls_;
  }
  std::vector<RecordedWatch> watches() const {
    std::lock_guard lock(mu_);
    return watchCalls_;
  }
  // Waits (real time, bounded) until watch() has been called `n` times.
  bool waitForWatchCalls(size_t n, std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return watchCalls_.size() >= n; });
  }
  // Waits until every scripted watch item has been consumed.
  bool waitForDrained(std::chrono::seconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, timeout, [&] { return items_.empty(); });
  }

  ctrl::StatusOr<ctrl::Json> get(const ctrl::Resource&, std::string_view, std::string_view,
                                 const ctrl::CallOptions& = {}) override {
    return ctrl::Status(ctrl::Code::kNotFound, "fake: get is not scripted");
  }

  ctrl::StatusOr<ctrl::ListPage> list(const ctrl::Resource&, std::string_view ns,
                                      const ctrl::ListOptions& options,
                                      const ctrl::CallOptions& = {}) override {
    std::lock_guard lock(mu_);
    listCalls_.push_back({std::string(ns), options});
    cv_.notify_all();
    if (lists_.empty()) return ctrl::Status(ctrl::Code::kUnavailable, "fake: no scripted list");
    auto next = std::move(lists_.front());
    lists_.pop_front();
    if (auto* status = std::get_if<ctrl::Status>(&next)) return *status;
    Page& page = std::get<Page>(next);
    ctrl::ListPage out;
    out.items = std::make_unique<ctrl::Json>(ctrl::Json::array());
    for (auto& item : page.items) out.items->push_back(std::move(item));
    out.resourceVersion = page.resourceVersion;
    out.continueToken = page.continueToken;
    return out;
  }

  ctrl::Status watch(const ctrl::Resource&, std::string_view ns, const ctrl::WatchOptions& options,
                     const ctrl::WatchHandler& handler, std::stop_token stop) override {
    std::stop_callback wake(stop, [this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
    std::unique_lock lock(mu_);
    watchCalls_.push_back(
        {std::string(ns), options, clock_ != nullptr ? clock_->now() : ctrl::MonoTime{}});
    cv_.notify_all();
    while (true) {
      cv_.wait(lock, [&] { return stop.stop_requested() || !items_.empty(); });
      if (stop.stop_requested()) return {ctrl::Code::kCancelled, "stopped"};
      Item item = std::move(items_.front());
      items_.pop_front();
      cv_.notify_all();
      if (item.end) return *item.end;
      lock.unlock();
      ctrl::WatchEvent event{item.type, &item.object};
      bool more = handler(event);
      lock.lock();
      if (!more) return {ctrl::Code::kCancelled, "handler stopped the watch"};
    }
  }

 private:
  struct Page {
    std::vector<ctrl::Json> items;
    std::string resourceVersion;
    std::string continueToken;
  };
  struct Item {
    ctrl::WatchEventType type;
    ctrl::Json object;
    std::optional<ctrl::Status> end;
  };

  void push(Item item) {
    std::lock_guard lock(mu_);
    items_.push_back(std::move(item));
    cv_.notify_all();
  }

  const ctrl::Clock* clock_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::variant<Page, ctrl::Status>> lists_;
  std::deque<Item> items_;
  std::vector<RecordedList> listCalls_;
  std::vector<RecordedWatch> watchCalls_;
};

}  // namespace sttest
