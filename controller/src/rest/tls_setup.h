// The TLS settings of one transport, parsed from PEM once and installed into
// every new connection's OpenSSL context by reference count. The HTTP library
// builds a fresh context per connection; parsing the CA, certificate and key
// there again would cost a PEM decode per connection for nothing.
#pragma once

#include <openssl/types.h>

#include <memory>
#include <string_view>
#include <vector>

#include "controller/status.h"

namespace ctrl::rest {

class TlsSetup {
 public:
  // `caPem`: the CA certificates to trust, or empty to keep the context's
  // default trust store (the system's). `certPem` and `keyPem`: the client
  // certificate (then any intermediates) and its key, or both empty.
  // Errors: InvalidArgument when a PEM block cannot be parsed (the material
  // is never quoted); Internal when OpenSSL cannot allocate.
  static StatusOr<std::shared_ptr<const TlsSetup>> parse(std::string_view caPem,
                                                         std::string_view certPem,
                                                         std::string_view keyPem);
  ~TlsSetup();
  TlsSetup(const TlsSetup&) = delete;
  TlsSetup& operator=(const TlsSetup&) = delete;

  // Configures `ctx`, a fresh client context: TLS 1.2 or newer, trust only
  // the parsed CAs (when given), present the client certificate, chain and
  // key (when given). The parsed objects are shared, never copied or
  // re-parsed. Returns false when OpenSSL refuses (the context must not be
  // used then). Thread-safe: may run for many contexts at once.
  bool applyTo(SSL_CTX* ctx) const;

 private:
  TlsSetup() = default;

  X509_STORE* trust_ = nullptr;  // null: keep the context's own store
  X509* cert_ = nullptr;         // null: no client certificate
  std::vector<X509*> chain_;     // intermediates sent after cert_
  EVP_PKEY* key_ = nullptr;
};

}  // namespace ctrl::rest
