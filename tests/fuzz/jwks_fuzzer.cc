// JWKS documents: st::Jwks::parse on the input (each supported key through
// st::PublicKey::fromJwk). Properties: no crash; errors are InvalidArgument;
// a parsed set serialises to a document that parses to the same keys; no
// parsed key accepts an all-zero signature.
#include <cstddef>
#include <cstdint>
#include <string>

#include "fuzz_check.h"
#include "token/jwks.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stfuzz::check;
  auto jwks = st::Jwks::parse(stfuzz::asText(data, size));
  if (!jwks.isOk()) {
    check(jwks.status().code() == ctrl::Code::kInvalidArgument,
          "Jwks::parse failed with a code other than InvalidArgument");
    return 0;
  }
  check(jwks->keys().size() <= st::Jwks::kMaxKeys, "Jwks::parse accepted too many keys");

  auto again = st::Jwks::parse(jwks->toString());
  check(again.isOk(), "a parsed JWKS does not parse after toString()");
  check(again->keys().size() == jwks->keys().size(), "a JWKS round trip changed the key count");
  const std::string zeros(64, '\0');
  for (size_t i = 0; i < jwks->keys().size(); ++i) {
    const st::PublicKey& key = jwks->keys()[i];
    const st::PublicKey& copy = again->keys()[i];
    check(key.kid() == copy.kid() && key.algorithm() == copy.algorithm() &&
              key.thumbprint() == copy.thumbprint(),
          "a JWKS round trip changed a key");
    check(jwks->find(key.kid()) == &key, "find() does not return the key with that kid");
    check(!key.verify("signing input", zeros).isOk(), "a key accepted an all-zero signature");
  }
  return 0;
}
