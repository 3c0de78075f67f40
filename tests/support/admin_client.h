// API clients for integration tests, built from a control plane's admin
// kubeconfig (system:masters). Header-only on purpose: st_testsupport links
// only ctrl_base, while every integration binary already links the REST and
// client components these functions call.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <utility>

#include "control_plane.h"
#include "controller/client.h"
#include "controller/rest_config.h"
#include "controller/transport.h"

namespace sttest {

// The RestConfig of `cp`'s admin kubeconfig. On error records a non-fatal
// test failure naming the cause and returns an empty RestConfig.
inline ctrl::RestConfig adminConfig(const ControlPlane& cp = sharedControlPlane()) {
  ctrl::KubeconfigOptions options;
  options.path = cp.kubeconfig();
  auto config = ctrl::loadKubeconfig(options);
  if (!config.isOk()) {
    ADD_FAILURE() << "loading the admin kubeconfig: " << config.status().toString();
    return {};
  }
  return std::move(config).value();
}

// A client (default ClientOptions) for `config`, on the transport the
// operator ships with (makeTransport), so its requests and watches are what
// the tests exercise. On error records a non-fatal test failure naming the
// cause and returns nullptr.
inline std::unique_ptr<ctrl::Client> clientFor(const ctrl::RestConfig& config) {
  auto transport = ctrl::makeTransport(config);
  if (!transport.isOk()) {
    ADD_FAILURE() << "making the transport: " << transport.status().toString();
    return nullptr;
  }
  return ctrl::makeClient(std::move(transport).value(), config);
}

// An admin client for `cp`. On error records a non-fatal test failure naming
// the cause and returns nullptr (callers ASSERT_NE(client, nullptr)).
inline std::unique_ptr<ctrl::Client> adminClient(const ControlPlane& cp = sharedControlPlane()) {
  const ctrl::RestConfig config = adminConfig(cp);
  if (config.server.empty()) return nullptr;  // adminConfig() recorded the failure
  return clientFor(config);
}

}  // namespace sttest
