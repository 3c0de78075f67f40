#include "manager/runnable_group.h"

#include <exception>

#include "base/exception_type.h"

namespace ctrl::internal {
namespace {

// Exceptions do not cross the Runnable boundary: they become a Status.
Status runGuarded(Runnable& runnable, std::stop_token stop) {
  try {
    return runnable.start(std::move(stop));
  } catch (...) {
    // The type only: what() may quote input (see base/exception_type.h).
    return errorStatus(Code::kInternal, "runnable threw " + internal::currentExceptionType());
  }
}

}  // namespace

RunnableGroup::~RunnableGroup() {
  // release() normally leaves nothing joinable; never let a std::thread
  // destructor terminate the process.
  for (const auto& entry : entries_) {
    if (entry->thread.joinable()) entry->thread.detach();
  }
}

void RunnableGroup::launchLocked(std::shared_ptr<Runnable> runnable,
                                 std::shared_ptr<void> keepAlive, OnExit onExit) {
  auto entry = std::make_shared<Entry>();
  entry->name = runnable->name();
  // The thread takes the mutex only after start() returns, and this caller
  // holds it, so `entry->thread` is assigned before the thread can finish.
  entry->thread =
      std::thread([this, entry, runnable = std::move(runnable), keepAlive = std::move(keepAlive),
                   onExit = std::move(onExit), token = stop_.get_token()]() mutable {
        const Status result = runGuarded(*runnable, std::move(token));
        {
          std::lock_guard lock(mu_);
          entry->done = true;
          onExit(entry->name, result);
          cv_.notify_all();
        }
        // Nothing of the group is touched after this point: when the manager is
        // gone, keepAlive may be the last owner and free it as the closure dies.
      });
  entries_.push_back(std::move(entry));
}

bool RunnableGroup::allDoneLocked() const {
  for (const auto& entry : entries_) {
    if (!entry->done) return false;
  }
  return true;
}

std::vector<std::string> RunnableGroup::runningLocked() const {
  std::vector<std::string> names;
  for (const auto& entry : entries_) {
    if (!entry->done) names.push_back(entry->name);
  }
  return names;
}

void RunnableGroup::release() {
  std::vector<std::shared_ptr<Entry>> entries;
  std::vector<bool> done;
  {
    std::lock_guard lock(mu_);
    entries = entries_;
    for (const auto& entry : entries) done.push_back(entry->done);
  }
  for (size_t i = 0; i < entries.size(); ++i) {
    if (!entries[i]->thread.joinable()) continue;
    if (done[i]) {
      entries[i]->thread.join();  // it has returned; only unwinding is left
    } else {
      entries[i]->thread.detach();
    }
  }
}

}  // namespace ctrl::internal
