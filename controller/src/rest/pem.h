// Checks of TLS material done with OpenSSL before it reaches the HTTP
// library, so a malformed certificate or key is reported once, clearly, and
// without echoing its bytes.
#pragma once

#include <string>
#include <string_view>

#include "controller/status.h"

namespace ctrl::rest {

// Decodes standard base64 (whitespace and newlines ignored). Errors:
// InvalidArgument "not valid base64" (the input is never quoted).
StatusOr<std::string> decodeBase64(std::string_view text);

// OK when `pem` holds one or more PEM certificates and nothing unparseable.
// Errors: InvalidArgument. Thread-safe.
Status checkCertificatesPem(std::string_view pem);

// OK when `pem` holds a PEM private key (RSA, EC, Ed25519; PKCS#1, SEC1 or
// PKCS#8, unencrypted). Errors: InvalidArgument. Thread-safe.
Status checkPrivateKeyPem(std::string_view pem);

// OK when the first certificate of `certPem` belongs to `keyPem`.
// Preconditions: both passed the checks above. Errors: InvalidArgument.
Status checkKeyMatchesCertificate(std::string_view certPem, std::string_view keyPem);

}  // namespace ctrl::rest
