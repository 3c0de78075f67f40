// Runs a set of runnables on threads of their own, stops them together, and
// tells which are still running. The manager has three groups (leader-only
// runnables, the elector, the others) so it can stop them in order.
//
// Locking: the group shares the manager's mutex and condition variable.
// Methods named *Locked must be called with that mutex held; requestStop()
// and release() must be called without it.
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <stop_token>
#include <string>
#include <thread>
#include <vector>

#include "controller/runnable.h"
#include "controller/status.h"

namespace ctrl::internal {

class RunnableGroup {
 public:
  // Called on the runnable's thread, with the mutex held, when start()
  // returned. An exception thrown by start() arrives as Internal.
  using OnExit = std::function<void(const std::string& name, const Status& result)>;

  RunnableGroup(std::mutex& mu, std::condition_variable& cv) : mu_(mu), cv_(cv) {}
  ~RunnableGroup();  // precondition: release() was called if anything was launched
  RunnableGroup(const RunnableGroup&) = delete;
  RunnableGroup& operator=(const RunnableGroup&) = delete;

  // Calls runnable->start() on a new thread with this group's stop token,
  // then onExit and cv.notify_all(). `keepAlive` is held by the thread until
  // it ends: it must keep the mutex, the condition variable and this group
  // alive, so a thread that outlives its manager touches no freed memory.
  void launchLocked(std::shared_ptr<Runnable> runnable, std::shared_ptr<void> keepAlive,
                    OnExit onExit);
  // Requests stop on every runnable launched so far and later.
  void requestStop() { stop_.request_stop(); }
  // Whether every launched runnable has returned.
  bool allDoneLocked() const;
  // Names of the runnables that have not returned yet.
  std::vector<std::string> runningLocked() const;
  // Joins the threads whose runnable returned and detaches the others (they
  // keep `keepAlive`). Precondition: nothing is launched any more.
  void release();

 private:
  struct Entry {
    std::string name;
    bool done = false;  // guarded by mu_
    std::thread thread;
  };

  std::mutex& mu_;
  std::condition_variable& cv_;
  std::stop_source stop_;
  std::vector<std::shared_ptr<Entry>> entries_;  // guarded by mu_
};

}  // namespace ctrl::internal
