// Last Used: status.lastUsedTime of a ServiceToken, written by the verifier
// when it accepts the token, at most once a minute per token, off the
// request path (PRODUCT.md §7).
//
// The request path calls touch(), which is a comparison when the cached
// status already says "used within the minute", and otherwise a short
// locked update of a map plus a queue push. One writer thread (this
// Runnable) drains the queue: a JSON merge patch of status.lastUsedTime on
// the status subresource, under the verifier's own field manager (the
// operator never writes this field, so the two never fight), with the
// cached resourceVersion as a precondition: when two verifier replicas race
// for one token, the second gets Conflict and drops its write. Tokens that
// are never accepted are never written. Uses while a write is pending are
// coalesced into it; a failed write is retried on the next use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <unordered_map>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/runnable.h"
#include "verifier/decision.h"

namespace st::verifier {

inline constexpr std::chrono::seconds kLastUsedInterval{60};
inline constexpr const char* kVerifierFieldManager = "servicetoken-verifier";

// Whether a use at `now` is worth writing, given what status says (`recorded`).
bool lastUsedDue(std::optional<ctrl::WallTime> recorded, ctrl::WallTime now);

struct LastUsedOptions {
  // Writes per second at most (a first use of many tokens at once is spread
  // out); 0: no limit.
  double maxWritesPerSecond = 50;
  size_t maxPending = 100'000;  // uses beyond this many distinct tokens wait for a later use
};

class LastUsedRecorder final : public ctrl::Runnable {
 public:
  // `client` and `clock` must outlive the recorder.
  LastUsedRecorder(ctrl::Writer& client, ctrl::Clock& clock, LastUsedOptions options = {});

  // Notes that `grant`'s ServiceToken was accepted at `now`. Never blocks on
  // I/O; thread-safe.
  void touch(const Grant& grant, ctrl::WallTime now);

  // The writer loop, until `stop`.
  ctrl::Status start(std::stop_token stop) override;
  std::string name() const override { return "last-used-writer"; }

  // Status patches sent so far (successful or not). Thread-safe.
  uint64_t writes() const;

 private:
  struct Entry {
    bool pending = false;
    ctrl::WallTime seen{};                       // the latest use to write
    std::string resourceVersion;                 // of the cached ServiceToken at that use
    std::optional<ctrl::WallTime> writtenUntil;  // this process wrote a use at this time
  };
  struct Work {
    std::string ns;
    std::string name;
    ctrl::WallTime seen{};
    std::string resourceVersion;
  };
  std::optional<Work> next(std::stop_token stop);
  void write(const Work& work);

  ctrl::Writer& client_;
  ctrl::Clock& clock_;
  LastUsedOptions options_;

  mutable std::mutex mu_;
  std::condition_variable_any cv_;
  std::unordered_map<std::string, Entry> entries_;  // "ns/name"; guarded by mu_
  std::deque<std::string> queue_;                   // keys with pending writes
  uint64_t writes_ = 0;
  ctrl::MonoTime nextWriteAt_{};
};

}  // namespace st::verifier
