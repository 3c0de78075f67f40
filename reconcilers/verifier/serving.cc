#include "verifier/serving.h"

#include <condition_variable>
#include <mutex>

namespace st::verifier {

ctrl::Status ServingRunnable::start(std::stop_token stop) {
  if (ctrl::Status s = server_->start(address_); !s.isOk()) return s;
  std::mutex mu;
  std::condition_variable_any cv;
  {
    std::unique_lock lock(mu);
    cv.wait(lock, stop, [] { return false; });
  }
  server_->stop();
  return ctrl::Status::ok();
}

}  // namespace st::verifier
