// A fault-injecting HTTPS proxy for chaos tests, placed between a client (the
// operator) and kube-apiserver. It terminates TLS with a self-signed
// certificate of its own (caFile(): trust it in the client's kubeconfig),
// reads each HTTP/1.1 request, and re-originates TLS to the upstream, so it
// sees request boundaries and can act on one request: the client's bearer
// token is forwarded as it came. Responses are streamed through chunk by
// chunk (watches stay live), never buffered — except the ones it drops.
//
// Faults, switchable at any time from the test's thread:
//  - silence (half-open): every connection open while silent, and every one
//    accepted while silent, stops forwarding bytes both ways for good, and
//    its sockets stay open (as after a NAT or conntrack entry vanished). New
//    connections after setSilent(false) work again;
//  - resets: resetAll() RSTs every open connection (SO_LINGER 0, close);
//    setResetChance(p) RSTs a connection instead of forwarding a request,
//    with probability p per request;
//  - latency: every request waits this long before it is forwarded;
//  - dropped responses: with a probability per kind, a Secret create (POST
//    .../secrets), a Secret replacement (PUT .../secrets/NAME: a rotation's
//    in-place token write) or a ServiceToken status write (PUT/PATCH
//    .../servicetokens/NAME/status) is forwarded, the upstream executes it and
//    answers, and the proxy then RSTs the client's connection instead of
//    passing the answer on;
//  - storms: with probability `fraction` per request, the proxy itself
//    answers 429 or 503 with Retry-After (a metav1.Status body) and forwards
//    nothing.
// counts() says what it did. Randomness comes from the seed given to start().
//
// Thread-safety: every public method may be called from any thread; the
// proxy runs on one thread of its own. Test-only.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "controller/status.h"

namespace sttest {

struct FaultCounts {
  uint64_t connections = 0;           // client connections accepted
  uint64_t forwarded = 0;             // requests forwarded upstream
  uint64_t delayed = 0;               // requests held back by the latency setting
  uint64_t silenced = 0;              // connections that went half-open
  uint64_t resets = 0;                // connections reset (RST) by resetAll() or the chance
  uint64_t droppedSecretCreates = 0;  // executed upstream, answer replaced by a RST
  uint64_t droppedSecretUpdates = 0;  // executed upstream, answer replaced by a RST
  uint64_t droppedStatusWrites = 0;   // executed upstream, answer replaced by a RST
  uint64_t storm429 = 0;              // answered 429 by the proxy itself
  uint64_t storm503 = 0;              // answered 503 by the proxy itself
  uint64_t upstreamErrors = 0;        // upstream connect/handshake/IO failures
};

// What a dropped response belongs to.
enum class DropKind { kSecretCreate, kSecretUpdate, kStatusWrite };

// Classifies a request line: kSecretCreate for POST /api/v1/namespaces/NS/secrets,
// kSecretUpdate for PUT /api/v1/namespaces/NS/secrets/NAME, kStatusWrite for
// PUT or PATCH /apis/servicetoken.dev/VERSION/namespaces/NS/servicetokens/
// NAME/status (query strings ignored); false otherwise. Pure.
bool classifyForDrop(const std::string& method, const std::string& target, DropKind& kind);

class FaultProxy {
 public:
  // Listens on 127.0.0.1 (a free port) and forwards to `upstreamUrl`
  // (https://HOST:PORT), verifying its certificate against `upstreamCaFile`.
  // The proxy's own certificate (PEM) is written to `dir`/fault-proxy-ca.crt.
  static ctrl::StatusOr<std::unique_ptr<FaultProxy>> start(const std::string& upstreamUrl,
                                                           const std::string& upstreamCaFile,
                                                           const std::string& dir, uint32_t seed);
  ~FaultProxy();  // stops the thread and closes every connection
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  // https://127.0.0.1:PORT
  std::string url() const;
  // The PEM file of the proxy's self-signed certificate.
  const std::string& caFile() const;

  void setSilent(bool silent);
  void resetAll();
  void setResetChance(double p);
  void setLatency(std::chrono::milliseconds latency);
  void setDropChance(DropKind kind, double p);
  // code 429 or 503 (0 turns storms off); Retry-After: retryAfterSeconds.
  void setStorm(int code, int retryAfterSeconds, double fraction);
  // Everything back to plain forwarding (connections already silenced stay so).
  void clearFaults();

  FaultCounts counts() const;
  // Connections open now (silenced ones included).
  size_t openConnections() const;

  class Impl;

 private:
  explicit FaultProxy(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace sttest
