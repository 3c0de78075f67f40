// PEM input, both readers: the kubeconfig's TLS material checks
// (ctrl::rest::checkCertificatesPem, checkPrivateKeyPem, the key/certificate
// match, and the base64 of `*-data` fields) and the operator's signing-key
// loader (st::SigningKey::fromPem). Properties: no crash or leak, errors are
// InvalidArgument, and a signing key that loads writes out a PEM that loads
// back to the same key.
#include <cstddef>
#include <cstdint>

#include "fuzz_check.h"
#include "rest/pem.h"
#include "token/signing_key.h"

namespace {

using stfuzz::check;

void checkInvalidArgument(const ctrl::Status& status, const char* what) {
  check(status.isOk() || status.code() == ctrl::Code::kInvalidArgument, what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stfuzz::asText(data, size);

  const ctrl::Status certs = ctrl::rest::checkCertificatesPem(text);
  checkInvalidArgument(certs, "checkCertificatesPem: not InvalidArgument");
  const ctrl::Status key = ctrl::rest::checkPrivateKeyPem(text);
  checkInvalidArgument(key, "checkPrivateKeyPem: not InvalidArgument");
  if (certs.isOk() && key.isOk()) {
    checkInvalidArgument(ctrl::rest::checkKeyMatchesCertificate(text, text),
                         "checkKeyMatchesCertificate: not InvalidArgument");
  }
  auto decoded = ctrl::rest::decodeBase64(text);
  checkInvalidArgument(decoded.status(), "decodeBase64: not InvalidArgument");

  auto signing = st::SigningKey::fromPem(text);
  checkInvalidArgument(signing.status(), "SigningKey::fromPem: not InvalidArgument");
  if (!signing.isOk()) return 0;
  auto pem = signing->toPem();
  check(pem.isOk(), "a loaded signing key cannot be written as PEM");
  auto again = st::SigningKey::fromPem(pem->reveal());
  check(again.isOk(), "a signing key's own PEM does not load");
  check(again->kid() == signing->kid(), "a PEM round trip changed the key id");
  return 0;
}
