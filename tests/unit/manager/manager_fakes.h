// Fakes for the Manager's tests: a journal of what happened (waited on with a
// real-time deadline, never slept on), runnables, an elector and an HTTP
// server. The fakes own their journal through shared_ptr so a runnable the
// manager left running (the shutdown-bound test) never touches freed memory.
#pragma once

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <stop_token>
#include <string>
#include <vector>

#include "controller/http_server.h"
#include "controller/leader_elector.h"
#include "controller/runnable.h"

namespace mgrtest {

inline constexpr auto kWait = std::chrono::seconds(20);  // only bounds a hang

class Journal {
 public:
  void record(const std::string& event) {
    std::lock_guard lock(mu_);
    events_.push_back(event);
    cv_.notify_all();
  }
  // Waits until `event` was recorded; false after kWait.
  bool waitFor(const std::string& event) {
    std::unique_lock lock(mu_);
    return cv_.wait_for(lock, kWait, [&] { return indexOfLocked(event) >= 0; });
  }
  bool contains(const std::string& event) const { return indexOf(event) >= 0; }
  // Position of the first `event`, or -1.
  int indexOf(const std::string& event) const {
    std::lock_guard lock(mu_);
    return indexOfLocked(event);
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }

 private:
  int indexOfLocked(const std::string& event) const {
    const auto it = std::find(events_.begin(), events_.end(), event);
    return it == events_.end() ? -1 : static_cast<int>(it - events_.begin());
  }
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
};

// Records "start NAME", runs until stop ("stop NAME") or fail() ("failed NAME").
// With ignoreStop(), it records "ignored stop NAME" and keeps running until
// release(), then records "returned NAME".
class FakeRunnable : public ctrl::Runnable {
 public:
  FakeRunnable(std::string name, std::shared_ptr<Journal> journal, bool leaderOnly = false)
      : name_(std::move(name)), journal_(std::move(journal)), leaderOnly_(leaderOnly) {}

  ctrl::Status start(std::stop_token stop) override {
    journal_->record("start " + name_);
    if (throws_) throw std::runtime_error("boom");
    std::unique_lock lock(mu_);
    cv_.wait(lock, stop, [&] { return failure_.has_value(); });
    if (failure_) {
      journal_->record("failed " + name_);
      return *failure_;
    }
    if (ignoreStop_) {
      journal_->record("ignored stop " + name_);
      cv_.wait(lock, [&] { return released_; });
      journal_->record("returned " + name_);
      return ctrl::Status::ok();
    }
    journal_->record("stop " + name_);
    return ctrl::Status::ok();
  }
  std::string name() const override { return name_; }
  bool needsLeaderElection() const override { return leaderOnly_; }

  void fail(ctrl::Status status) {
    std::lock_guard lock(mu_);
    failure_ = std::move(status);
    cv_.notify_all();
  }
  void ignoreStop() {
    std::lock_guard lock(mu_);
    ignoreStop_ = true;
  }
  void release() {
    std::lock_guard lock(mu_);
    released_ = true;
    cv_.notify_all();
  }
  void throwOnStart() { throws_ = true; }

 private:
  const std::string name_;
  const std::shared_ptr<Journal> journal_;
  const bool leaderOnly_;
  std::atomic<bool> throws_{false};
  std::mutex mu_;
  std::condition_variable_any cv_;
  std::optional<ctrl::Status> failure_;
  bool ignoreStop_ = false;
  bool released_ = false;
};

// A runnable with hasSynced(), as Informer<T> has: the manager picks it up.
class FakeInformer final : public FakeRunnable {
 public:
  using FakeRunnable::FakeRunnable;
  bool hasSynced() const {
    polls_.fetch_add(1);
    polls_.notify_all();
    return synced_.load();
  }
  void setSynced() { synced_ = true; }
  // Waits until hasSynced() was called `n` times; false after kWait.
  bool waitForPolls(int n) const {
    const auto deadline = std::chrono::steady_clock::now() + kWait;
    for (int seen = polls_.load(); seen < n; seen = polls_.load()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      polls_.wait(seen);  // woken by the next poll
    }
    return true;
  }

 private:
  std::atomic<bool> synced_{false};
  mutable std::atomic<int> polls_{0};
};

// Behaves like LeaderElector towards the manager: start() records
// "elector started" and campaigns until grant() (onStartedLeading), lose()
// (onStoppedLeading, then returns Unavailable) or stop (onStoppedLeading if
// leading, then returns OK).
class FakeElector final : public ctrl::Runnable {
 public:
  FakeElector(std::shared_ptr<Journal> journal, ctrl::LeaderCallbacks callbacks)
      : journal_(std::move(journal)), callbacks_(std::move(callbacks)) {}

  ctrl::Status start(std::stop_token stop) override {
    journal_->record("elector started");
    std::unique_lock lock(mu_);
    bool leading = false;
    for (;;) {
      cv_.wait(lock, stop, [&] { return (grant_ && !leading) || lose_; });
      if (lose_) {
        lock.unlock();
        callbacks_.onStoppedLeading();
        journal_->record("elector lost");
        return ctrl::errorStatus(ctrl::Code::kUnavailable, "lost leader lease");
      }
      if (stop.stop_requested()) {
        lock.unlock();
        if (leading) callbacks_.onStoppedLeading();
        journal_->record("elector stopped");
        return ctrl::Status::ok();
      }
      leading = true;
      lock.unlock();
      callbacks_.onStartedLeading();
      journal_->record("elector leading");
      lock.lock();
    }
  }
  std::string name() const override { return "leader-elector"; }

  void grant() { set(grant_); }
  void lose() { set(lose_); }

 private:
  void set(bool& flag) {
    std::lock_guard lock(mu_);
    flag = true;
    cv_.notify_all();
  }
  const std::shared_ptr<Journal> journal_;
  const ctrl::LeaderCallbacks callbacks_;
  std::mutex mu_;
  std::condition_variable_any cv_;
  bool grant_ = false;
  bool lose_ = false;
};

// Records the servers a factory made, so tests can call their handlers.
class FakeHttpServers {
 public:
  struct Server {
    std::map<std::string, ctrl::HttpHandler> handlers;
    std::map<std::string, ctrl::AsyncHttpHandler> asyncHandlers;
    std::string address;
    bool started = false;
    bool stopped = false;
    int port = 0;
  };

  std::function<std::unique_ptr<ctrl::HttpServer>()> factory() {
    return [this] { return std::make_unique<Fake>(*this); };
  }
  // The next server's start() fails with `status`.
  void failNextStart(ctrl::Status status) {
    std::lock_guard lock(mu_);
    startError_ = std::move(status);
  }
  size_t count() const {
    std::lock_guard lock(mu_);
    return servers_.size();
  }
  Server server(size_t i) const {
    std::lock_guard lock(mu_);
    return *servers_.at(i);
  }
  std::vector<std::string> paths(size_t i) const {
    std::vector<std::string> out;
    const Server s = server(i);
    for (const auto& [path, handler] : s.handlers) out.push_back(path);
    for (const auto& [path, handler] : s.asyncHandlers) out.push_back(path);
    std::sort(out.begin(), out.end());
    return out;
  }
  // Calls server i's handler for `path` (a 404 when there is none).
  ctrl::HttpServerResponse get(size_t i, const std::string& path) const {
    return get(i, ctrl::AsyncHttpRequest{path, ""});
  }
  // As above with request headers; waits for an asynchronous handler's reply.
  ctrl::HttpServerResponse get(size_t i, const ctrl::AsyncHttpRequest& request) const {
    const Server s = server(i);
    if (const auto it = s.handlers.find(request.path); it != s.handlers.end()) {
      return it->second(request.path);
    }
    const auto async = s.asyncHandlers.find(request.path);
    if (async == s.asyncHandlers.end()) return {404, "text/plain", "404 page not found"};
    auto reply = std::make_shared<std::promise<ctrl::HttpServerResponse>>();
    auto once = std::make_shared<std::once_flag>();
    async->second(request, [reply, once](ctrl::HttpServerResponse r) {
      std::call_once(*once, [&] { reply->set_value(std::move(r)); });
    });
    auto future = reply->get_future();
    if (future.wait_for(std::chrono::seconds(30)) != std::future_status::ready) {
      return {599, "text/plain", "no reply"};
    }
    return future.get();
  }

 private:
  class Fake final : public ctrl::HttpServer {
   public:
    explicit Fake(FakeHttpServers& owner) : owner_(owner) {
      std::lock_guard lock(owner_.mu_);
      owner_.servers_.push_back(std::make_shared<Server>());
      state_ = owner_.servers_.back();
    }
    void handle(const std::string& path, ctrl::HttpHandler handler) override {
      std::lock_guard lock(owner_.mu_);
      state_->handlers[path] = std::move(handler);
    }
    void handleAsync(const std::string& path, ctrl::AsyncHttpHandler handler) override {
      std::lock_guard lock(owner_.mu_);
      state_->asyncHandlers[path] = std::move(handler);
    }
    ctrl::Status start(const std::string& address) override {
      std::lock_guard lock(owner_.mu_);
      state_->address = address;
      if (!owner_.startError_.isOk()) return std::exchange(owner_.startError_, {});
      state_->started = true;
      state_->port = 40000 + static_cast<int>(owner_.servers_.size());
      return ctrl::Status::ok();
    }
    int port() const override {
      std::lock_guard lock(owner_.mu_);
      return state_->port;
    }
    void stop() override {
      std::lock_guard lock(owner_.mu_);
      state_->stopped = true;
    }

   private:
    FakeHttpServers& owner_;
    std::shared_ptr<Server> state_;
  };

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<Server>> servers_;
  ctrl::Status startError_;
};

}  // namespace mgrtest
