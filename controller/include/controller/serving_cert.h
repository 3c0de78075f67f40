// Serving certificates for an HTTPS endpoint such as /metrics: either a
// self-signed certificate made in memory at start (what controller-runtime
// does when no certificate directory is given; scrapers then skip
// verification or pin it), or a certificate and key read from a directory
// (e.g. a cert-manager Secret mounted with tls.crt and tls.key) and read again
// when they change, so a renewed certificate is served without a restart.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

#include "controller/clock.h"
#include "controller/http_server.h"
#include "controller/status.h"

namespace ctrl {

// Makes an EC P-256 key and a self-signed serving certificate for `hosts`
// (DNS names or IP addresses, all put into subjectAltName; the first is the
// common name), valid from an hour before `now` for `validity`. Errors:
// InvalidArgument when `hosts` is empty or one is empty; Internal when
// OpenSSL fails.
StatusOr<HttpServerTls> makeSelfSignedCertificate(const std::vector<std::string>& hosts,
                                                  WallTime now, Duration validity);

struct CertificateDirOptions {
  std::string dir;
  std::string certName = "tls.crt";
  std::string keyName = "tls.key";
  // How often, at most, the files are read again (on the clock, when a
  // connection asks for the material).
  Duration recheckInterval = std::chrono::seconds(10);
  // A larger file is refused.
  size_t maxFileBytes = 1 << 20;
};

// A TLS source over the files dir/certName and dir/keyName. Reads and checks
// them at once. Errors: NotFound when a file is missing, InvalidArgument
// when one is too large, does not parse or the key does not belong to the
// certificate (the material is never quoted). Afterwards a changed pair is
// checked the same way; a bad one is logged and the previous pair kept.
// `clock` must outlive the source. Thread-safe.
StatusOr<HttpServerTlsSource> watchCertificateDir(CertificateDirOptions options, Clock& clock);

// Checks that `tls` holds a certificate chain and a private key that
// belongs to the first certificate. Errors: InvalidArgument (never quoting
// the material).
Status checkServingTls(const HttpServerTls& tls);

}  // namespace ctrl
