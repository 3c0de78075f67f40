// The Beast server's TLS context, built from a certificate file and a key
// file and rebuilt when either changes (a renewed certificate, a Kubernetes
// Secret volume swapping its files). Thread-safe.
#pragma once

#include <boost/asio/ssl/context.hpp>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "controller/clock.h"
#include "controller/status.h"

namespace ctrl::rest {

class TlsReloader {
 public:
  // Loads the pair once. Errors: InvalidArgument naming the file at fault
  // (missing, too large, not PEM, certificate and key not matching).
  static StatusOr<std::unique_ptr<TlsReloader>> create(std::string certFile, std::string keyFile,
                                                       Clock& clock, Duration checkInterval,
                                                       std::function<void(const Status&)> onReload);

  // The context for a new connection: when checkInterval has passed since
  // the last look and the files' identity (mtime, size, inode) changed,
  // loads them first; a failed load keeps the previous context and is
  // reported through onReload.
  std::shared_ptr<boost::asio::ssl::context> current();

 private:
  struct Stamp {
    long long mtimeNs = 0;
    long long size = 0;
    unsigned long long inode = 0;
    bool operator==(const Stamp&) const = default;
  };
  TlsReloader(std::string certFile, std::string keyFile, Clock& clock, Duration interval,
              std::function<void(const Status&)> onReload);
  static StatusOr<std::shared_ptr<boost::asio::ssl::context>> load(const std::string& certFile,
                                                                   const std::string& keyFile);
  static Stamp stampOf(const std::string& path);

  const std::string certFile_;
  const std::string keyFile_;
  Clock& clock_;
  const Duration interval_;
  const std::function<void(const Status&)> onReload_;

  std::mutex mu_;
  std::shared_ptr<boost::asio::ssl::context> context_;
  Stamp certStamp_;
  Stamp keyStamp_;
  MonoTime lastCheck_{};
};

}  // namespace ctrl::rest
