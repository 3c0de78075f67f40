#include "rest/pending_exchanges.h"

namespace ctrl::rest {

PendingExchanges::PendingExchanges() : state_(std::make_shared<State>()) {}

PendingExchanges::Ticket PendingExchanges::enter() {
  {
    std::lock_guard lock(state_->mu);
    ++state_->pending;
  }
  // The deleter keeps the state alive, whatever happens to *this.
  return Ticket(nullptr, [state = state_](void*) {
    std::lock_guard lock(state->mu);
    if (--state->pending == 0) state->none.notify_all();
  });
}

size_t PendingExchanges::pending() const {
  std::lock_guard lock(state_->mu);
  return state_->pending;
}

bool PendingExchanges::waitUntilNone(std::chrono::steady_clock::time_point deadline) const {
  std::unique_lock lock(state_->mu);
  return state_->none.wait_until(lock, deadline, [&] { return state_->pending == 0; });
}

}  // namespace ctrl::rest
