// One mutex guards all queue state. The ready keys are a FIFO plus two sets
// (dirty: queued or to be re-queued; processing: handed out, not yet done),
// as in client-go. Delayed keys sit in a time-ordered map served by a single
// timer thread that sleeps through the injected Clock, so a FakeClock drives
// it in tests; the same thread refreshes the in-flight work gauges.
#include "controller/workqueue.h"

#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "workqueue/queue_metrics.h"

namespace ctrl {
namespace {

using namespace std::chrono_literals;

// How often the unfinished-work gauges are refreshed (client-go: 500 ms).
constexpr Duration kMetricsPeriod = 500ms;
// Upper bound on one timer sleep when nothing is scheduled; the loop re-checks.
constexpr Duration kIdleWait = 10min;

}  // namespace

class WorkQueue::Impl {
 public:
  explicit Impl(WorkQueueOptions options)
      : clock_(options.clock != nullptr ? *options.clock : RealClock::instance()),
        limiter_(options.rateLimiter != nullptr ? std::move(options.rateLimiter)
                                                : newDefaultControllerRateLimiter(clock_)),
        metrics_(options.name, clock_) {
    timer_ = std::thread([this] { timerLoop(); });
  }

  ~Impl() {
    shutDown();
    timer_.join();
  }

  void add(const std::string& key) {
    std::lock_guard lock(mu_);
    addLocked(key);
  }

  void addAfter(const std::string& key, Duration delay) {
    std::lock_guard lock(mu_);
    addAtLocked(key, clock_.now(), delay);
  }

  void addRateLimited(const std::string& key) {
    // The start time is read before the limiter records the retry, so anyone
    // who sees numRequeues() grow knows the delay counts from a time no later
    // than that. The limiter is asked outside our lock: it has its own.
    const MonoTime start = clock_.now();
    const Duration delay = limiter_->when(key);
    std::lock_guard lock(mu_);
    if (shuttingDown_) return;
    metrics_.retried();
    addAtLocked(key, start, delay);
  }

  void forget(const std::string& key) { limiter_->forget(key); }
  int numRequeues(const std::string& key) const { return limiter_->numRequeues(key); }

  std::optional<std::string> get(std::stop_token stop) {
    std::unique_lock lock(mu_);
    readyCv_.wait(lock, stop, [this] { return shuttingDown_ || !queue_.empty(); });
    if (shuttingDown_ || stop.stop_requested()) return std::nullopt;
    std::string key = std::move(queue_.front());
    queue_.pop_front();
    metrics_.gotten(key);
    processing_.insert(key);
    dirty_.erase(key);
    return key;
  }

  void done(const std::string& key) {
    std::lock_guard lock(mu_);
    metrics_.finished(key);
    processing_.erase(key);
    if (dirty_.contains(key)) {
      queue_.push_back(key);
      readyCv_.notify_one();
    }
    if (processing_.empty()) drainCv_.notify_all();
  }

  void shutDown() {
    std::lock_guard lock(mu_);
    shutDownLocked();
  }

  void shutDownWithDrain() {
    std::unique_lock lock(mu_);
    shutDownLocked();
    drainCv_.wait(lock, [this] { return processing_.empty(); });
  }

  bool shuttingDown() const {
    std::lock_guard lock(mu_);
    return shuttingDown_;
  }

  size_t len() const {
    std::lock_guard lock(mu_);
    return queue_.size();
  }

 private:
  void addLocked(const std::string& key) {
    if (shuttingDown_) return;
    if (dirty_.contains(key)) return;
    metrics_.added(key);
    dirty_.insert(key);
    if (processing_.contains(key)) return;  // re-queued by done()
    queue_.push_back(key);
    readyCv_.notify_one();
  }

  // Adds `key` at start + delay (at once if delay <= 0); the earlier time
  // wins when `key` is already waiting.
  void addAtLocked(const std::string& key, MonoTime start, Duration delay) {
    if (shuttingDown_) return;
    if (delay <= Duration::zero()) {
      addLocked(key);
      return;
    }
    const MonoTime readyAt = start + delay;
    if (auto it = waitingByKey_.find(key); it != waitingByKey_.end()) {
      if (it->second->first <= readyAt) return;
      waiting_.erase(it->second);
      waitingByKey_.erase(it);
    }
    waitingByKey_.emplace(key, waiting_.emplace(readyAt, key));
    // The timer thread is woken only when this key is due before the time it
    // sleeps until: a controller re-queues every object it reconciles for
    // its next renewal, days away, and waking the timer for each would be a
    // futex wake and a context switch per reconcile.
    if (readyAt < timerWake_) {
      timerWake_ = readyAt;
      timerCv_.notify_one();
    }
  }

  void shutDownLocked() {
    shuttingDown_ = true;
    waiting_.clear();
    waitingByKey_.clear();
    readyCv_.notify_all();
    timerCv_.notify_all();
    drainCv_.notify_all();
  }

  void timerLoop() {
    std::unique_lock lock(mu_);
    MonoTime nextMetricsUpdate = clock_.now();
    while (!shuttingDown_) {
      const MonoTime now = clock_.now();
      while (!waiting_.empty() && waiting_.begin()->first <= now) {
        auto first = waiting_.begin();
        waitingByKey_.erase(first->second);
        addLocked(first->second);
        waiting_.erase(first);
      }
      MonoTime deadline = now + kIdleWait;
      if (!waiting_.empty()) deadline = std::min(deadline, waiting_.begin()->first);
      if (metrics_.enabled()) {
        if (now >= nextMetricsUpdate) {
          metrics_.updateUnfinishedWork();
          nextMetricsUpdate = now + kMetricsPeriod;
        }
        deadline = std::min(deadline, nextMetricsUpdate);
      }
      timerWake_ = deadline;
      clock_.waitUntil(lock, timerCv_, deadline,
                       [&] { return shuttingDown_ || timerWake_ != deadline; });
    }
  }

  Clock& clock_;
  const std::unique_ptr<RateLimiter> limiter_;

  mutable std::mutex mu_;
  std::condition_variable_any readyCv_;  // get() waiters; any: it honours a stop_token
  std::condition_variable timerCv_;      // the timer thread
  std::condition_variable drainCv_;      // shutDownWithDrain()
  bool shuttingDown_ = false;
  std::deque<std::string> queue_;
  std::unordered_set<std::string> dirty_;
  std::unordered_set<std::string> processing_;
  // Delayed keys by ready time; equal times keep insertion order.
  std::multimap<MonoTime, std::string> waiting_;
  std::unordered_map<std::string, std::multimap<MonoTime, std::string>::iterator> waitingByKey_;
  // When the timer thread wakes next; moved earlier (and the thread woken)
  // by a key due before then.
  MonoTime timerWake_ = MonoTime::min();
  workqueue::QueueMetrics metrics_;
  std::thread timer_;  // last: started once everything above exists
};

WorkQueue::WorkQueue(WorkQueueOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
WorkQueue::~WorkQueue() = default;

void WorkQueue::add(const std::string& key) { impl_->add(key); }
void WorkQueue::addAfter(const std::string& key, Duration delay) { impl_->addAfter(key, delay); }
void WorkQueue::addRateLimited(const std::string& key) { impl_->addRateLimited(key); }
void WorkQueue::forget(const std::string& key) { impl_->forget(key); }
int WorkQueue::numRequeues(const std::string& key) const { return impl_->numRequeues(key); }
std::optional<std::string> WorkQueue::get(std::stop_token stop) {
  return impl_->get(std::move(stop));
}
void WorkQueue::done(const std::string& key) { impl_->done(key); }
void WorkQueue::shutDown() { impl_->shutDown(); }
void WorkQueue::shutDownWithDrain() { impl_->shutDownWithDrain(); }
bool WorkQueue::shuttingDown() const { return impl_->shuttingDown(); }
size_t WorkQueue::len() const { return impl_->len(); }

}  // namespace ctrl
