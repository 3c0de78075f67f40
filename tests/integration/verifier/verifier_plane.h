// The control plane of the verifier's integration tests: the shared plane,
// with kube-apiserver authenticating bearer tokens through the verifier's
// TokenReview endpoint. The verifier's address and TLS certificate must be
// known before the plane starts, so they are fixed once per test process:
// a free loopback port, and a self-signed certificate for 127.0.0.1 made
// with the openssl CLI. Tests that need kube-apiserver's webhook run their
// verifier there (webhookVerifierOptions); the others use any port.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdlib>
#include <iostream>
#include <string>

#include "control_plane.h"
#include "subprocess.h"
#include "temp_dir.h"
#include "verifier/options.h"

namespace sttest {

struct WebhookEndpoint {
  TempDir dir;
  std::string certFile;  // also the CA file: the certificate is self-signed
  std::string keyFile;
  int port = 0;
};

inline int freeLoopbackPort() {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor a(
      io, boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), 0));
  return a.local_endpoint().port();
}

inline const WebhookEndpoint& webhookEndpoint() {
  static WebhookEndpoint* endpoint = [] {
    auto* e = new WebhookEndpoint();
    e->certFile = e->dir.file("tls.crt");
    e->keyFile = e->dir.file("tls.key");
    ProcessResult r = runProcess(
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "2", "-subj", "/CN=servicetoken-verifier", "-addext",
         "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", e->keyFile, "-out", e->certFile});
    if (r.exitCode != 0) {
      std::cerr << "openssl req failed: " << r.err << std::endl;
      std::abort();
    }
    e->port = freeLoopbackPort();
    return e;
  }();
  return *endpoint;
}

// The verifier's API audience (the operator's default).
inline constexpr const char* kVerifierAudience = "servicetoken.dev";

inline ControlPlane& verifierPlane() {
  const WebhookEndpoint& e = webhookEndpoint();
  ControlPlaneOptions o;
  o.tokenWebhookUrl =
      "https://127.0.0.1:" + std::to_string(e.port) + "/apis/authentication.k8s.io/v1/tokenreviews";
  o.tokenWebhookCaFile = e.certFile;
  o.apiAudiences = {kVerifierAudience};
  return sharedControlPlane(o);
}

// Options that put a verifier where kube-apiserver's webhook points.
inline void useWebhookEndpoint(st::verifier::VerifierOptions& o) {
  const WebhookEndpoint& e = webhookEndpoint();
  o.bindAddress = "127.0.0.1:" + std::to_string(e.port);
  o.tlsCertFile = e.certFile;
  o.tlsKeyFile = e.keyFile;
}

}  // namespace sttest
