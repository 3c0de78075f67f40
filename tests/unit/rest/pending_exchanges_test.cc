// rest::PendingExchanges: a transport's count of exchanges still finishing.
#include "rest/pending_exchanges.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

using ctrl::rest::PendingExchanges;
using std::chrono::steady_clock;
using namespace std::chrono_literals;

TEST(PendingExchanges, AnExchangeIsPendingUntilEveryCopyOfItsTicketIsGone) {
  PendingExchanges pending;
  EXPECT_EQ(pending.pending(), 0u);
  auto ticket = pending.enter();
  auto copy = ticket;
  EXPECT_EQ(pending.pending(), 1u);
  ticket.reset();
  EXPECT_EQ(pending.pending(), 1u);
  copy.reset();
  EXPECT_EQ(pending.pending(), 0u);
}

TEST(PendingExchanges, WaitingGivesUpAtTheDeadlineWhileOneIsPending) {
  PendingExchanges pending;
  auto ticket = pending.enter();
  EXPECT_FALSE(pending.waitUntilNone(steady_clock::now()));
  EXPECT_FALSE(pending.waitUntilNone(steady_clock::now() + 20ms));
  ticket.reset();
  EXPECT_TRUE(pending.waitUntilNone(steady_clock::now()));
}

TEST(PendingExchanges, WaitingReturnsWhenTheLastTicketIsDroppedOnAnotherThread) {
  PendingExchanges pending;
  auto first = pending.enter();
  auto second = pending.enter();
  std::thread finisher([a = std::move(first), b = std::move(second)]() mutable {
    a.reset();
    b.reset();
  });
  // The deadline is a failure bound: the wait ends when the tickets go.
  EXPECT_TRUE(pending.waitUntilNone(steady_clock::now() + 30s));
  EXPECT_EQ(pending.pending(), 0u);
  finisher.join();
}

// The ticket's release touches only state the ticket itself keeps alive: a
// use after free here is what AddressSanitizer (make test-asan) reports.
TEST(PendingExchanges, ATicketMayOutliveItsIssuer) {
  PendingExchanges::Ticket ticket;
  PendingExchanges::Ticket other;
  {
    PendingExchanges pending;
    ticket = pending.enter();
    other = pending.enter();
    EXPECT_EQ(pending.pending(), 2u);
  }
  EXPECT_EQ(ticket.use_count(), 1);
  ticket.reset();
  other.reset();
}

}  // namespace
