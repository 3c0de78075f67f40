#include "controller/signals.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <mutex>
#include <thread>

#include "controller/log.h"

namespace ctrl {
namespace {

static_assert(std::atomic<int>::is_always_lock_free, "needed in a signal handler");

// Written by the handler, read by the watcher thread. Set once, never closed.
std::atomic<int> gPipeWrite{-1};
std::atomic<int> gSignalCount{0};

std::mutex gMu;
std::stop_source gSource;  // guarded by gMu
bool gWatching = false;    // guarded by gMu

extern "C" void onSignal(int signo) {
  // Only async-signal-safe calls here: atomics, write(2), _exit(2).
  if (gSignalCount.fetch_add(1) >= 1) _exit(1);
  const int savedErrno = errno;
  const auto byte = static_cast<unsigned char>(signo);
  const int fd = gPipeWrite.load();
  if (fd >= 0) {
    [[maybe_unused]] const ssize_t n = write(fd, &byte, 1);
  }
  errno = savedErrno;
}

const char* signalName(int signo) {
  switch (signo) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "unknown";
  }
}

void watch(int readFd) {
  for (;;) {
    unsigned char byte = 0;
    const ssize_t n = read(readFd, &byte, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n != 1) return;  // cannot happen: the write end is never closed
    log::info("Received signal, shutting down (send it again to exit at once)",
              {{"signal", signalName(byte)}});
    std::lock_guard lock(gMu);
    gSource.request_stop();
  }
}

// Starts the watcher once per process. Aborts if the pipe cannot be made:
// without it signals would be lost, and this runs at startup.
void startWatcherLocked() {
  if (gWatching) return;
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    log::error("Failed to create the signal pipe", {{"errno", errno}});
    std::abort();
  }
  // A full pipe must never block the handler; one pending byte is enough.
  fcntl(fds[1], F_SETFL, fcntl(fds[1], F_GETFL) | O_NONBLOCK);
  gPipeWrite.store(fds[1]);
  std::thread(watch, fds[0]).detach();
  gWatching = true;
}

}  // namespace

std::stop_source installSignalHandlers() {
  std::lock_guard lock(gMu);
  startWatcherLocked();
  gSource = std::stop_source();
  gSignalCount.store(0);
  struct sigaction action {};
  action.sa_handler = onSignal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;
  sigaction(SIGTERM, &action, nullptr);
  sigaction(SIGINT, &action, nullptr);
  return gSource;
}

}  // namespace ctrl
