// A gate a fake API call can block on, to simulate a hung connection.
#pragma once

#include <condition_variable>
#include <mutex>

namespace sttest {

class Gate {
 public:
  struct OpenOnExit {
    Gate& gate;
    ~OpenOnExit() { gate.open(); }
  };

  void wait() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return open_; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
};

}  // namespace sttest
