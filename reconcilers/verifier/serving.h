// Runs an HttpServer as a Runnable of the manager: listens when started,
// stops listening (waiting for handlers in flight) when asked to stop.
#pragma once

#include <atomic>
#include <memory>
#include <stop_token>
#include <string>

#include "controller/http_server.h"
#include "controller/runnable.h"

namespace st::verifier {

class ServingRunnable final : public ctrl::Runnable {
 public:
  ServingRunnable(std::unique_ptr<ctrl::HttpServer> server, std::string address)
      : server_(std::move(server)), address_(std::move(address)) {}

  // Errors: the server's (Unavailable when the address cannot be bound).
  ctrl::Status start(std::stop_token stop) override;
  std::string name() const override { return "verifier-server"; }
  // The bound port, 0 until listening.
  int port() const { return server_->port(); }

 private:
  std::unique_ptr<ctrl::HttpServer> server_;
  std::string address_;
};

}  // namespace st::verifier
