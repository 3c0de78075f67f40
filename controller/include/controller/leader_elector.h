// Leader election on a coordination.k8s.io/v1 Lease, with client-go's
// algorithm and defaults (tools/leaderelection): one replica holds the lease
// and renews it every retryPeriod; the others poll it and take it over only
// after it has not changed for the holder's leaseDurationSeconds.
//
// Time is judged only by OUR monotonic clock: a candidate remembers when it
// last saw the lease record change and treats it as expired leaseDuration
// after that. The renewTime written by another node is never compared with
// our clock (clocks of different nodes may disagree arbitrarily).
//
// Safety: a leader that has not renewed successfully for renewDeadline stops
// leading (isLeader() turns false at that instant, even if a request is still
// hanging, and onStoppedLeading runs). Because renewDeadline < leaseDuration,
// it stops before any candidate can consider the lease expired, provided the
// clocks run at roughly the same rate. Leadership is also a fence for writes
// (fence(), controller/write_fence.h): leader-only code writes through
// makeFencedClient(client, elector.fence()), so no write starts after
// leadership ended, a write in flight then is abandoned at once, and none
// runs past the instant another candidate could acquire the lease (the last
// renewal's start + leaseDuration): the margin is leaseDuration -
// renewDeadline.
#pragma once

#include <functional>
#include <memory>
#include <stop_token>
#include <string>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/runnable.h"
#include "controller/status.h"
#include "controller/write_fence.h"

namespace ctrl {

struct LeaderCallbacks {
  // We became the leader. Called on the elector's thread; must not block
  // (start leader-only work elsewhere).
  std::function<void()> onStartedLeading;
  // We are no longer the leader: the lease was lost (renewals failed for
  // renewDeadline, or another holder was seen), or stop was requested while
  // leading. Called exactly once per onStartedLeading, before the lease is
  // released, from the elector's or its watchdog's thread. Leader-only work
  // must stop now; it may block briefly to do so (the release waits for it).
  std::function<void()> onStoppedLeading;
  // The observed holder changed (including to ourselves). Not called for an
  // empty (released) holder. Called on the elector's thread; must not block.
  std::function<void(const std::string& identity)> onNewLeader;
};

struct LeaderElectionConfig {
  std::string leaseNamespace;
  std::string leaseName;
  // Unique per replica; "" means defaultLeaderIdentity().
  std::string identity;
  // How long a lease is valid after its holder's last renewal. Written to
  // spec.leaseDurationSeconds, so it must be whole seconds (at least 1 s).
  Duration leaseDuration = std::chrono::seconds(15);
  // How long the leader keeps retrying failed renewals before giving up.
  Duration renewDeadline = std::chrono::seconds(10);
  // Interval between attempts to acquire or renew.
  Duration retryPeriod = std::chrono::seconds(2);
  // Candidates wait retryPeriod * (1 + jitterFactor * U[0,1)) between
  // attempts, as client-go's wait.JitterUntil(…, 1.2). 0 disables jitter.
  double jitterFactor = 1.2;
  // On a graceful stop, hand the lease over (holder cleared,
  // leaseDurationSeconds 1) so a standby takes over at once.
  bool releaseOnCancel = true;
  LeaderCallbacks callbacks;
};

// "<hostname>_<random UUID v4>", as controller-runtime builds identities.
// Thread-safe.
std::string defaultLeaderIdentity();

// Checks the invariants client-go enforces: a lease name and namespace,
// leaseDuration (whole seconds, >= 1 s) > renewDeadline > retryPeriod * 1.2,
// retryPeriod > 0, jitterFactor >= 0.
// Errors: InvalidArgument naming the offending field.
Status validateLeaderElectionConfig(const LeaderElectionConfig& config);

// A Runnable: start() campaigns for the lease until stop is requested or
// leadership is lost. Exports leader_election_master_status{name=leaseName}
// (1 while leading) in metricsRegistry().
class LeaderElector final : public Runnable {
 public:
  // `client` and `clock` must outlive the elector. Errors: as
  // validateLeaderElectionConfig().
  static StatusOr<std::unique_ptr<LeaderElector>> create(Client& client, Clock& clock,
                                                         LeaderElectionConfig config);
  ~LeaderElector() override;
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  // Blocks: acquires the lease (retrying every retryPeriod, jittered), then
  // renews it every retryPeriod. Returns OK when `stop` is requested (after
  // onStoppedLeading and, if configured and still held, releasing the lease),
  // or Unavailable "lost leader lease …" when leadership was lost (the
  // manager must then stop everything: exit and be restarted is the standard
  // answer). Lease requests carry `stop` and end by the renew deadline
  // (renewals) or within renewDeadline (acquisitions). Before releasing the
  // lease it waits for fenced writes still in flight (they were revoked when
  // leadership ended). Called at most once; destroy the elector only after
  // it returned.
  Status start(std::stop_token stop) override;
  std::string name() const override;

  // True from just before onStartedLeading until leadership ends; false as
  // soon as renewDeadline has passed since the last successful renewal, even
  // before onStoppedLeading runs. Thread-safe, cheap.
  bool isLeader() const;
  // Leadership as a write fence, for makeFencedClient(): open exactly while
  // isLeader(); a grant's deadline is the last renewal's start +
  // leaseDuration (on the elector's clock: give the fenced client the same
  // clock); grants are revoked when leadership ends. Valid for the
  // elector's lifetime.
  WriteFence& fence();
  // Our identity.
  const std::string& identity() const;
  // The holder last observed ("" when unknown or released). Thread-safe.
  std::string observedLeader() const;

 private:
  class Impl;
  explicit LeaderElector(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrl
