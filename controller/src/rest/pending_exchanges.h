// Counts the exchanges a transport started and has not seen finish, so that
// destroying the transport can wait for them. An exchange abandoned by its
// caller (a timeout) is cancelled, but its completion still runs later on
// the HTTP library's threads; a transport gone before then leaves that work
// (and its memory) running against nothing.
//
// Thread-safe. Tickets may outlive the PendingExchanges that issued them
// (each holds the shared count).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>

namespace ctrl::rest {

class PendingExchanges {
 public:
  // Held by an exchange's last step; the exchange counts as finished when
  // every copy is destroyed.
  using Ticket = std::shared_ptr<void>;

  PendingExchanges();

  // A new exchange starts: it is pending until the returned ticket (and all
  // its copies) are destroyed.
  Ticket enter();

  size_t pending() const;

  // Waits until none is pending or `deadline` passes; true when none is.
  bool waitUntilNone(std::chrono::steady_clock::time_point deadline) const;

 private:
  struct State {
    mutable std::mutex mu;
    mutable std::condition_variable none;
    size_t pending = 0;
  };
  std::shared_ptr<State> state_;
};

}  // namespace ctrl::rest
