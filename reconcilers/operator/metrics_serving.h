// How the operator serves /metrics: by default over HTTPS, only to callers
// the API server authenticates and authorizes for `get` on /metrics (as
// kubebuilder's scaffolds do); with --metrics-secure=false over plain HTTP to
// anyone who can reach the port.
#pragma once

#include "controller/clock.h"
#include "controller/manager.h"
#include "controller/status.h"
#include "operator/operator.h"
#include "operator/options.h"

namespace st {

// Fills the metrics fields of `manager` (metricsServerFactory,
// metricsAuthorizer) from `options`. The serving certificate comes from
// --metrics-cert-dir or is made in memory (self-signed, for localhost and
// this host's name). Nothing to do when metrics are disabled ("0") or not
// secure. Errors: InvalidArgument when deps lack an HTTPS server factory or
// the certificate files do not parse; NotFound when they are missing;
// Internal when a certificate cannot be made.
ctrl::Status configureMetricsServing(const OperatorOptions& options, const OperatorDeps& deps,
                                     ctrl::Clock& clock, ctrl::ManagerOptions& manager);

}  // namespace st
