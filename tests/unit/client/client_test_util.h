// Helpers for the client unit tests: a clock that jumps to any deadline it is
// asked to wait for (so retries and rate limits run instantly and their delays
// are exact), a target parser, and a client over a FakeTransport.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "controller/client.h"
#include "controller/clock.h"
#include "mocks/fake_transport.h"

namespace sttest {

class JumpClock final : public ctrl::Clock {
 public:
  ctrl::MonoTime now() const override {
    std::lock_guard lock(mu_);
    return now_;
  }
  ctrl::WallTime wallNow() const override { return ctrl::WallTime{}; }
  ctrl::MonoTime start() const { return ctrl::MonoTime{} + std::chrono::hours(1); }
  // Time passing while the process does nothing (e.g. stopped).
  void advance(ctrl::Duration d) {
    std::lock_guard lock(mu_);
    now_ += d;
  }

 protected:
  void waitFor(std::unique_lock<std::mutex>& /*lock*/, std::condition_variable& /*cv*/,
               ctrl::MonoTime deadline) override {
    std::lock_guard lock(mu_);
    if (deadline > now_) now_ = deadline;
  }

 private:
  mutable std::mutex mu_;
  ctrl::MonoTime now_ = ctrl::MonoTime{} + std::chrono::hours(1);
};

struct Target {
  std::string path;
  std::map<std::string, std::string> query;  // values unescaped
};

inline std::string unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      out += static_cast<char>(std::stoi(s.substr(i + 1, 2), nullptr, 16));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

inline Target parseTarget(const std::string& target) {
  Target out;
  auto q = target.find('?');
  out.path = target.substr(0, q);
  if (q == std::string::npos) return out;
  std::string rest = target.substr(q + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t amp = rest.find('&', pos);
    if (amp == std::string::npos) amp = rest.size();
    std::string pair = rest.substr(pos, amp - pos);
    auto eq = pair.find('=');
    out.query[pair.substr(0, eq)] = eq == std::string::npos ? "" : unescape(pair.substr(eq + 1));
    pos = amp + 1;
  }
  return out;
}

inline std::string header(const ctrl::HttpRequest& request, const std::string& name) {
  for (const auto& [key, value] : request.headers) {
    if (key == name) return value;
  }
  return "<absent>";
}

// A client over a FakeTransport; `fake` stays owned by the client.
struct TestClient {
  FakeTransport* fake;
  std::unique_ptr<ctrl::Client> client;
};

inline TestClient makeTestClient(ctrl::Clock& clock, ctrl::RestConfig config = {},
                                 ctrl::ClientOptions options = {}) {
  auto transport = std::make_unique<FakeTransport>(&clock);
  FakeTransport* fake = transport.get();
  if (config.server.empty()) config.server = "https://unit.test:6443";
  options.clock = &clock;
  return {fake, ctrl::makeClient(std::move(transport), config, options)};
}

}  // namespace sttest
