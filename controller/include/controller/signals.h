// SIGTERM and SIGINT as a stop request, the way Kubernetes stops a pod: the
// first signal asks the manager to shut down gracefully; a second one exits
// the process at once (status 1), for an operator who does not want to wait.
#pragma once

#include <stop_token>

namespace ctrl {

// Installs handlers for SIGTERM and SIGINT and returns a stop_source that the
// first of them requests (a watcher thread does it, and logs the signal; the
// handler itself only writes to a pipe, which is async-signal-safe). A second
// signal calls _exit(1) from the handler.
//
// Meant to be called once, early in main(). Calling it again re-arms: the new
// stop_source replaces the previous one and the signal count starts over.
// Thread-safe.
std::stop_source installSignalHandlers();

}  // namespace ctrl
