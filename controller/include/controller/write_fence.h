// Leadership as a fence for writes. A replica that may have lost its leader
// lease must not write: another replica could already hold the lease and act
// on the same objects. The client asks the fence immediately before it sends
// each write (after any rate-limit wait), and the fence both bounds how long
// the write may run and cancels it when leadership ends while it is in
// flight.
//
// The LeaderElector is the fence of a leader-elected process
// (LeaderElector::fence()); makeFencedClient() (client.h) puts it in front of
// a client's writes. A write refused by the fence fails with Code::kFenced
// without being sent; kFenced means "this process no longer leads": do not
// retry, stop (the Controller drops the request, and the next leader lists
// every object again).
#pragma once

#include <optional>
#include <stop_token>

#include "controller/clock.h"

namespace ctrl {

// Permission for one write, from WriteFence::admit().
struct WriteGrant {
  // The write must have ended by then (on the clock of the client using the
  // fence): the earliest instant at which another replica could hold the
  // lease. The client cuts the exchange at this time at the latest.
  MonoTime deadline;
  // Requested when the fence closes while the write is in flight: the client
  // abandons the exchange at once (the server may still have acted on it).
  std::stop_token revoked;
};

class WriteFence {
 public:
  virtual ~WriteFence() = default;

  // Whether admit() would grant a write now. Cheap; thread-safe.
  virtual bool mayWrite() const = 0;

  // Called immediately before a write is sent. Returns the grant, or nullopt
  // when writes are not allowed (the write then fails with kFenced, unsent).
  // Each grant must be returned with finish() once the write has ended
  // (answered, failed or abandoned): a fence may wait for writes in flight
  // before it hands leadership over. Thread-safe.
  virtual std::optional<WriteGrant> admit() = 0;
  virtual void finish() = 0;
};

}  // namespace ctrl
