// Everything long-running (informers, controllers, the HTTP server, the
// leader elector) is a Runnable owned by the Manager.
#pragma once

#include <stop_token>
#include <string>

#include "controller/status.h"

namespace ctrl {

class Runnable {
 public:
  virtual ~Runnable() = default;
  // Runs until `stop` is requested (then returns OK promptly) or a fatal
  // error happens (returns it; the manager then stops everything else).
  // Called once, on a thread of the manager's.
  virtual Status start(std::stop_token stop) = 0;
  // Short name for logs, e.g. "informer/secrets".
  virtual std::string name() const = 0;
  // Whether this runnable may only run while holding the leader lease
  // (controllers: true; caches, HTTP server: false).
  virtual bool needsLeaderElection() const { return false; }
};

}  // namespace ctrl
