// A unit-test fake Transport: records every request (with the time on an
// optional clock) and answers from a script of responses, in order. Answers
// 599 "no scripted response" (an unexpected-call marker) when the script runs
// out. Thread-safe.
#pragma once

#include <deque>
#include <functional>
#include <mutex>
#include <stop_token>
#include <string>
#include <utility>
#include <vector>

#include "controller/clock.h"
#include "controller/transport.h"

namespace sttest {

struct RecordedRequest {
  ctrl::HttpRequest request;
  ctrl::MonoTime at;  // the clock's time when it was sent (epoch without a clock)
};

class FakeTransport final : public ctrl::Transport {
 public:
  explicit FakeTransport(const ctrl::Clock* clock = nullptr) : clock_(clock) {}

  // Scripts the answer to the next send().
  void pushResponse(int status, std::string body,
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
    ctrl::HttpResponse response;
    response.status = status;
    response.body = std::move(body);
    response.headers = std::move(headers);
    std::lock_guard lock(mu_);
    responses_.emplace_back(std::move(response));
  }
  // Scripts a transport failure (e.g. Unavailable) for the next send().
  void pushError(ctrl::Status status) {
    std::lock_guard lock(mu_);
    responses_.emplace_back(std::move(status));
  }
  // Scripts the next stream(): a 200 whose body is `lines`, then `end`
  // (a clean end by default). A non-200 `end` with no lines models an answer
  // refused before streaming.
  void pushStream(std::vector<std::string> lines,
                  ctrl::StatusOr<ctrl::HttpResponse> end = ctrl::HttpResponse{200, "", {}}) {
    std::lock_guard lock(mu_);
    streams_.push_back(Stream{std::move(lines), std::move(end)});
  }

  std::vector<RecordedRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }
  size_t requestCount() const {
    std::lock_guard lock(mu_);
    return requests_.size();
  }
  // The last request. Precondition: at least one was sent.
  ctrl::HttpRequest last() const {
    std::lock_guard lock(mu_);
    return requests_.back().request;
  }

  // Called by send() after recording the request and before answering it,
  // without the fake's lock: may block (a hung exchange) until `stop`.
  using SendHook = std::function<void(const ctrl::HttpRequest& request, std::stop_token stop)>;
  void setSendHook(SendHook hook) {
    std::lock_guard lock(mu_);
    sendHook_ = std::move(hook);
  }

  using ctrl::Transport::send;
  ctrl::StatusOr<ctrl::HttpResponse> send(const ctrl::HttpRequest& request,
                                          std::stop_token stop) override {
    SendHook hook;
    {
      std::lock_guard lock(mu_);
      record(request);
      hook = sendHook_;
    }
    if (hook) hook(request, stop);
    if (stop.stop_requested()) return ctrl::Status(ctrl::Code::kCancelled, "request cancelled");
    std::lock_guard lock(mu_);
    if (responses_.empty()) return ctrl::HttpResponse{599, "no scripted response", {}};
    auto next = std::move(responses_.front());
    responses_.pop_front();
    return next;
  }

  ctrl::StatusOr<ctrl::HttpResponse> stream(const ctrl::HttpRequest& request,
                                            const ctrl::LineHandler& onLine,
                                            std::stop_token stop) override {
    Stream script;
    {
      std::lock_guard lock(mu_);
      record(request);
      if (streams_.empty()) return ctrl::HttpResponse{599, "no scripted stream", {}};
      script = std::move(streams_.front());
      streams_.pop_front();
    }
    if (script.end.isOk() && script.end->status != 200) return script.end;
    for (const std::string& line : script.lines) {
      if (stop.stop_requested()) return ctrl::Status(ctrl::Code::kCancelled, "stopped");
      if (!onLine(line)) return ctrl::Status(ctrl::Code::kCancelled, "handler stopped");
    }
    return script.end;
  }

 private:
  struct Stream {
    std::vector<std::string> lines;
    ctrl::StatusOr<ctrl::HttpResponse> end = ctrl::HttpResponse{200, "", {}};
  };

  void record(const ctrl::HttpRequest& request) {
    requests_.push_back({request, clock_ != nullptr ? clock_->now() : ctrl::MonoTime{}});
  }

  const ctrl::Clock* clock_;
  mutable std::mutex mu_;
  SendHook sendHook_;
  std::deque<ctrl::StatusOr<ctrl::HttpResponse>> responses_;
  std::deque<Stream> streams_;
  std::vector<RecordedRequest> requests_;
};

}  // namespace sttest
