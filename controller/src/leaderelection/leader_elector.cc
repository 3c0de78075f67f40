// The election loop (client-go's LeaderElector.acquire/renew/release) plus a
// watchdog thread that ends leadership at the renew deadline even while a
// request hangs past its deadline (a Client that ignores CallOptions), and
// the write fence that leadership is for everything leader-only.
#include "controller/leader_elector.h"

#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

#include <condition_variable>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <random>
#include <thread>
#include <utility>

#include "controller/log.h"
#include "controller/metrics.h"
#include "controller/micro_time.h"
#include "controller/resource.h"
#include "leaderelection/lease_record.h"

namespace ctrl {

class LeaderElector::Impl final : public WriteFence {
 public:
  Impl(Client& client, Clock& clock, LeaderElectionConfig config)
      : client_(client),
        clock_(clock),
        config_(std::move(config)),
        leaseSeconds_(
            std::chrono::duration_cast<std::chrono::seconds>(config_.leaseDuration).count()),
        rng_(std::random_device{}()),
        gauge_(&prometheus::BuildGauge()
                    .Name("leader_election_master_status")
                    .Help("Gauge of if the reporting system is master of the relevant lease, 0 "
                          "indicates backup, 1 indicates master. 'name' is the string used to "
                          "identify the lease.")
                    .Register(*metricsRegistry())
                    .Add({{"name", config_.leaseName}})) {
    if (config_.identity.empty()) config_.identity = defaultLeaderIdentity();
    log_ = log::named("leader-election")
               .withValues({{"Lease", config_.leaseNamespace + "/" + config_.leaseName},
                            {"identity", config_.identity}});
  }

  Status run(std::stop_token stop);
  bool isLeader() const {
    std::lock_guard lock(mu_);
    return leadingLocked();
  }

  // WriteFence: open while we lead. A grant lasts until the earliest instant
  // another candidate could take the lease over: it restarts its expiry
  // timer when it sees our last renewal, which was written after renewedAt_.
  bool mayWrite() const override { return isLeader(); }
  std::optional<WriteGrant> admit() override {
    std::lock_guard lock(mu_);
    if (!leadingLocked()) return std::nullopt;
    ++writesInFlight_;
    return WriteGrant{renewedAt_ + config_.leaseDuration, revoke_.get_token()};
  }
  void finish() override {
    std::lock_guard lock(mu_);
    --writesInFlight_;
    cv_.notify_all();
  }
  std::string observedLeader() const {
    std::lock_guard lock(mu_);
    return observed_.holderIdentity;
  }
  const LeaderElectionConfig& config() const { return config_; }

 private:
  Status campaign(const std::stop_token& stop);
  // One attempt, started at `now`: renew or take the lease, each request
  // bounded by `call`. True when we hold it afterwards. Never blocks on mu_
  // during I/O.
  bool tryAcquireOrRenew(MonoTime now, const CallOptions& call);
  // The bounds of one attempt started at `now`: a renewal must end by the
  // renew deadline (after it, leadership is over anyway), an acquisition
  // within renewDeadline.
  CallOptions attemptOptions(const std::stop_token& stop, MonoTime now) const {
    std::lock_guard lock(mu_);
    const MonoTime base = leading_ ? renewedAt_ : now;
    return CallOptions{.stop = stop, .deadline = base + config_.renewDeadline, .fence = nullptr};
  }
  // Waits until no fenced write is in flight, or until the last grant has
  // run out. Then nothing we sent as leader can still be executing.
  void waitForWritesInFlight();
  void becomeLeader(MonoTime attemptStart);
  // Ends leadership (once): metric, callback. `why` is logged.
  void stopLeading(std::string_view why);
  void release();
  void watchdog();
  void reportTransition();
  // Waits until `until` (clock time), stop is requested or (when
  // `whileLeading`) leadership ended. Returns false when it should not go on.
  bool pause(const std::stop_token& stop, MonoTime until, bool whileLeading);
  Duration jitteredRetry();
  Status lost() const {
    return errorStatus(Code::kUnavailable,
                       "lost leader lease " + config_.leaseNamespace + "/" + config_.leaseName);
  }

  // Requires mu_.
  bool leadingLocked() const {
    return leading_ && clock_.now() < renewedAt_ + config_.renewDeadline;
  }
  bool holdsLocked() const { return observed_.holderIdentity == config_.identity; }
  bool validLocked(MonoTime now) const {
    return observedTime_ + std::chrono::seconds(observed_.leaseDurationSeconds) > now;
  }
  void observeLocked(const Json& lease) {
    LeaseRecord record = leaseRecordFrom(lease);
    // client-go compares the raw record: any change restarts OUR expiry timer.
    if (!observedAny_ || !(record == observed_)) {
      observed_ = std::move(record);
      observedTime_ = clock_.now();
      observedAny_ = true;
    }
    lease_ = lease;
  }
  void afterWriteLocked(const Json& lease) {
    observed_ = leaseRecordFrom(lease);
    observedTime_ = clock_.now();
    observedAny_ = true;
    lease_ = lease;
  }

  Client& client_;
  Clock& clock_;
  LeaderElectionConfig config_;
  const int64_t leaseSeconds_;
  std::mt19937_64 rng_;  // loop thread only
  prometheus::Gauge* gauge_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  LeaseRecord observed_;
  bool observedAny_ = false;
  MonoTime observedTime_{};
  std::optional<Json> lease_;  // last read or written: its resourceVersion is our CAS token
  bool leading_ = false;
  bool startedNotified_ = false;  // onStartedLeading has returned
  MonoTime renewedAt_{};          // start of the last successful acquire/renew attempt
  bool done_ = false;             // the loop has finished; the watchdog exits
  int writesInFlight_ = 0;        // granted by admit(), not yet finished
  std::stop_source revoke_;       // this term's grants; requested when it ends
  std::string reportedLeader_;
  log::Logger log_;
};

Status LeaderElector::Impl::run(std::stop_token stop) {
  std::stop_callback wake(stop, [this] {
    std::lock_guard lock(mu_);
    cv_.notify_all();
  });
  std::thread dog([this] { watchdog(); });
  Status result = campaign(stop);
  {
    std::lock_guard lock(mu_);
    done_ = true;
    cv_.notify_all();
  }
  dog.join();  // also waits for an onStoppedLeading the watchdog is running
  stopLeading("Stop requested");
  waitForWritesInFlight();
  if (config_.releaseOnCancel) release();
  return result;
}

Status LeaderElector::Impl::campaign(const std::stop_token& stop) {
  // Attempts are scheduled from the start of the previous one, so a slow
  // request does not stretch the period.
  MonoTime next;
  while (true) {
    if (stop.stop_requested()) return Status::ok();
    const MonoTime start = clock_.now();
    const bool acquired = tryAcquireOrRenew(start, attemptOptions(stop, start));
    reportTransition();
    if (acquired) {
      becomeLeader(start);
      next = start + config_.retryPeriod;
      break;
    }
    if (!pause(stop, start + jitteredRetry(), false)) return Status::ok();
  }

  while (pause(stop, next, true)) {
    const MonoTime start = clock_.now();
    next = start + config_.retryPeriod;
    const bool renewed = tryAcquireOrRenew(start, attemptOptions(stop, start));
    reportTransition();
    std::unique_lock lock(mu_);
    if (!leading_) break;  // the watchdog ended it meanwhile
    const MonoTime deadline = renewedAt_ + config_.renewDeadline;
    if (renewed && start < deadline) {
      renewedAt_ = start;
      cv_.notify_all();
      continue;
    }
    // Seeing another holder means we were overtaken: stop at once rather
    // than keep retrying until the deadline as client-go does.
    const bool overtaken = observedAny_ && !holdsLocked();
    if (overtaken || clock_.now() >= deadline) {
      const std::string other = observed_.holderIdentity;
      lock.unlock();
      stopLeading(overtaken ? "Lease taken over by " + other : "Renew deadline passed");
      return lost();
    }
  }
  // Either stop was requested or the watchdog ended leadership.
  return stop.stop_requested() ? Status::ok() : lost();
}

bool LeaderElector::Impl::tryAcquireOrRenew(MonoTime now, const CallOptions& call) {
  const std::string nowText = formatMicroTime(clock_.wallNow());
  LeaseRecord desired{config_.identity, leaseSeconds_, nowText, nowText, 0};
  const Resource& resource = resources::lease();

  // 1. Fast path: we lead and the record we last wrote is presumably current.
  std::optional<Json> object;
  {
    std::lock_guard lock(mu_);
    if (holdsLocked() && validLocked(now) && lease_) {
      desired.acquireTime = observed_.acquireTime;
      desired.leaseTransitions = observed_.leaseTransitions;
      object = *lease_;
    }
  }
  if (object) {
    writeLeaseRecord(desired, *object);
    auto updated = client_.update(resource, config_.leaseNamespace, *object, {}, call);
    if (updated.isOk()) {
      std::lock_guard lock(mu_);
      afterWriteLocked(*updated);
      return true;
    }
    log_.v(2).info("Failed to renew lease optimistically, rereading it",
                   {{"error", updated.status().toString()}});
  }

  // 2. Read, or create when absent.
  auto current = client_.get(resource, config_.leaseNamespace, config_.leaseName, call);
  if (!current.isOk()) {
    if (current.status().code() != Code::kNotFound) {
      log_.warn("Failed to read lease", {{"error", current.status().toString()}});
      return false;
    }
    auto created =
        client_.create(resource, config_.leaseNamespace,
                       newLease(config_.leaseNamespace, config_.leaseName, desired), {}, call);
    if (!created.isOk()) {  // AlreadyExists: someone else was faster; retry
      log_.v(1).info("Failed to create lease", {{"error", created.status().toString()}});
      return false;
    }
    std::lock_guard lock(mu_);
    afterWriteLocked(*created);
    return true;
  }

  // 3. Someone else holds an unexpired lease (by our clock): wait.
  {
    std::lock_guard lock(mu_);
    observeLocked(*current);
    if (!observed_.holderIdentity.empty() && validLocked(now) && !holdsLocked()) return false;
    if (holdsLocked()) {
      desired.acquireTime = observed_.acquireTime;
      desired.leaseTransitions = observed_.leaseTransitions;
    } else {
      desired.leaseTransitions = observed_.leaseTransitions + 1;
    }
  }

  // 4. Take or renew it, with the resourceVersion just read as precondition
  // (Conflict: we lost a race).
  writeLeaseRecord(desired, *current);
  auto updated = client_.update(resource, config_.leaseNamespace, *current, {}, call);
  if (!updated.isOk()) {  // Conflict: another candidate won the race
    log_.v(1).info("Failed to update lease", {{"error", updated.status().toString()}});
    return false;
  }
  std::lock_guard lock(mu_);
  afterWriteLocked(*updated);
  return true;
}

void LeaderElector::Impl::becomeLeader(MonoTime attemptStart) {
  gauge_->Set(1);
  {
    std::lock_guard lock(mu_);
    leading_ = true;
    renewedAt_ = attemptStart;
    revoke_ = std::stop_source();
    cv_.notify_all();
  }
  log_.info("Became leader");
  if (config_.callbacks.onStartedLeading) config_.callbacks.onStartedLeading();
  std::lock_guard lock(mu_);
  startedNotified_ = true;
  cv_.notify_all();
}

void LeaderElector::Impl::stopLeading(std::string_view why) {
  std::stop_source revoke;
  {
    std::lock_guard lock(mu_);
    if (!leading_) return;
    leading_ = false;
    revoke = revoke_;
    cv_.notify_all();
  }
  // The fence is closed (leading_): no new write. Abandon those in flight.
  revoke.request_stop();
  gauge_->Set(0);
  log_.info("Stopped leading", {{"reason", why}});
  if (config_.callbacks.onStoppedLeading) config_.callbacks.onStoppedLeading();
}

void LeaderElector::Impl::waitForWritesInFlight() {
  std::unique_lock lock(mu_);
  if (writesInFlight_ == 0) return;
  const MonoTime lastGrantEnds = renewedAt_ + config_.leaseDuration;
  log_.info("Waiting for writes in flight", {{"writes", writesInFlight_}});
  clock_.waitUntil(lock, cv_, lastGrantEnds, [&] { return writesInFlight_ == 0; });
}

void LeaderElector::Impl::release() {
  std::optional<Json> object;
  LeaseRecord record;
  {
    std::lock_guard lock(mu_);
    if (!holdsLocked() || !lease_) return;
    object = *lease_;
    record.leaseTransitions = observed_.leaseTransitions;
  }
  // Holder cleared and a 1 s duration: a candidate takes over at its next
  // attempt. Our last resourceVersion is the precondition, so a lease someone
  // else already took is left alone (Conflict).
  const std::string nowText = formatMicroTime(clock_.wallNow());
  record.leaseDurationSeconds = 1;
  record.acquireTime = nowText;
  record.renewTime = nowText;
  writeLeaseRecord(record, *object);
  // Stop was requested already, so no stop token: only a deadline.
  CallOptions call;
  call.deadline = clock_.now() + config_.renewDeadline;
  auto updated = client_.update(resources::lease(), config_.leaseNamespace, *object, {}, call);
  if (!updated.isOk()) {
    log_.warn("Failed to release lease", {{"error", updated.status().toString()}});
    return;
  }
  log_.info("Released lease");
  std::lock_guard lock(mu_);
  afterWriteLocked(*updated);
}

void LeaderElector::Impl::watchdog() {
  std::unique_lock lock(mu_);
  while (!done_) {
    if (!leading_ || !startedNotified_) {
      cv_.wait(lock);
      continue;
    }
    const MonoTime deadline = renewedAt_ + config_.renewDeadline;
    if (clock_.now() < deadline) {
      clock_.waitUntil(lock, cv_, deadline, [&] {
        return done_ || !leading_ || renewedAt_ + config_.renewDeadline != deadline;
      });
      continue;
    }
    lock.unlock();
    stopLeading("Renew deadline passed");
    lock.lock();
  }
}

void LeaderElector::Impl::reportTransition() {
  std::string holder;
  {
    std::lock_guard lock(mu_);
    if (observed_.holderIdentity.empty() || observed_.holderIdentity == reportedLeader_) return;
    reportedLeader_ = observed_.holderIdentity;
    holder = reportedLeader_;
  }
  log_.info("Observed new leader", {{"leader", holder}});
  if (config_.callbacks.onNewLeader) config_.callbacks.onNewLeader(holder);
}

bool LeaderElector::Impl::pause(const std::stop_token& stop, MonoTime until, bool whileLeading) {
  std::unique_lock lock(mu_);
  auto ended = [&] { return stop.stop_requested() || (whileLeading && !leading_); };
  clock_.waitUntil(lock, cv_, until, ended);
  return !ended();
}

Duration LeaderElector::Impl::jitteredRetry() {
  if (config_.jitterFactor <= 0) return config_.retryPeriod;
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double extra = unit(rng_) * config_.jitterFactor;
  return config_.retryPeriod + std::chrono::duration_cast<Duration>(config_.retryPeriod * extra);
}

StatusOr<std::unique_ptr<LeaderElector>> LeaderElector::create(Client& client, Clock& clock,
                                                               LeaderElectionConfig config) {
  if (Status valid = validateLeaderElectionConfig(config); !valid.isOk()) return valid;
  return std::unique_ptr<LeaderElector>(
      new LeaderElector(std::make_unique<Impl>(client, clock, std::move(config))));
}

LeaderElector::LeaderElector(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
LeaderElector::~LeaderElector() = default;

Status LeaderElector::start(std::stop_token stop) { return impl_->run(std::move(stop)); }
std::string LeaderElector::name() const { return "leader-elector/" + impl_->config().leaseName; }
bool LeaderElector::isLeader() const { return impl_->isLeader(); }
WriteFence& LeaderElector::fence() { return *impl_; }
const std::string& LeaderElector::identity() const { return impl_->config().identity; }
std::string LeaderElector::observedLeader() const { return impl_->observedLeader(); }

}  // namespace ctrl
