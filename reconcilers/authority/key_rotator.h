// Signing-key rotation, the acting half (the deciding half is
// key_rotation_policy.h). A leader-only Runnable that, whenever the key
// Secret changes (poke()) and at the latest when the decision asks or every
// `resync`:
//  1. reads the key Secret live (the ring, its history in ring.json, and the
//     rotate-signing-key request annotations) and hands the ring to the
//     authority, so it signs with the active key and refuses withdrawn ones;
//  2. publishes the JWKS of every key in the ring (no write when current);
//  3. gathers the kids of the unexpired tokens stored in the token Secrets
//     (the current token, and the previous one within its grace period);
//  4. decides (decideKeyRotation) and, when something changes, writes the
//     Secret with update carrying the resourceVersion it read: a
//     compare-and-swap, so two replicas (or a stale leader) never both
//     rotate; the loser re-reads and decides again;
//  5. after a successful write publishes the new JWKS, gives the authority
//     the new ring, and, when keys were withdrawn, asks for the tokens they
//     signed to be reconciled (onRevoked), which re-mints them, paced. The
//     first pass does the same for kids withdrawn earlier (a restart or a
//     new leader in the middle of the re-mints); tells the change as an
//     Event on the key Secret and in the metrics.
// Log lines, Events and metrics name kids at most, never key material.
#pragma once

#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "api/types.h"
#include "authority/builtin_authority.h"
#include "authority/key_bootstrap.h"
#include "authority/key_metrics.h"
#include "authority/key_ring_record.h"
#include "controller/client.h"
#include "controller/clock.h"
#include "controller/event_recorder.h"
#include "controller/runnable.h"
#include "controller/store.h"

namespace st {

struct KeyRotatorOptions {
  KeyBootstrapOptions keys;
  ctrl::Duration interval = std::chrono::hours(24 * 90);  // zero: only on request
  ctrl::Duration publishDelay = std::chrono::minutes(5);
  ctrl::Duration resync = std::chrono::minutes(1);
};

struct KeyRotatorDeps {
  ctrl::Client* client = nullptr;  // the key Secret and the JWKS ConfigMap
  ctrl::Clock* clock = nullptr;
  const ctrl::Store<TokenSecret>* secrets = nullptr;  // the token Secrets
  std::function<bool()> secretsSynced;                // whether `secrets` is complete
  BuiltinAuthority* authority = nullptr;
  // Called with the kids withdrawn by a retire-old rotation. May be null.
  std::function<void(const std::set<std::string>&)> onRevoked;
  // New keys; null: SigningKey::generate(options.keys.algorithm).
  KeyGenerator generate;
  // Each write that changes the ring is told as an Event on the key Secret
  // (authority/key_change.h) and counted; the gauges follow every pass. May
  // be null.
  ctrl::EventRecorder* events = nullptr;
  SigningKeyMetrics* metrics = nullptr;
};

// Which kids the unexpired tokens in `secrets` were signed by at `now`.
std::set<std::string> kidsInUse(const ctrl::Store<TokenSecret>& secrets, ctrl::WallTime now);

class KeyRotator final : public ctrl::Runnable {
 public:
  KeyRotator(KeyRotatorOptions options, KeyRotatorDeps deps);
  KeyRotator(const KeyRotator&) = delete;
  KeyRotator& operator=(const KeyRotator&) = delete;

  ctrl::Status start(std::stop_token stop) override;
  std::string name() const override { return "signing-key-rotator"; }
  bool needsLeaderElection() const override { return true; }

  // One pass (steps 1-5). Returns when to look again at the latest (the
  // decision's wake-up time; now, after a write or a lost race). Errors: from
  // the API (retried by start()), InvalidArgument for an unusable Secret.
  ctrl::StatusOr<ctrl::WallTime> step();

  // The key Secret changed: run a pass now. Thread-safe.
  void poke();

 private:
  // Gives the authority `state`'s ring and withdrawn kids; calls onRevoked
  // for the withdrawn kids it had not been given before.
  void install(const KeyRingState& state);

  KeyRotatorOptions options_;
  KeyRotatorDeps deps_;
  std::set<std::string> installedRevoked_;  // only step() touches it
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
};

}  // namespace st
