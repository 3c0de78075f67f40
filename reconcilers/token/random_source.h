// Randomness behind an injectable seam. Production code uses
// OpenSslRandomSource (OpenSSL's CSPRNG, RAND_bytes) and nothing else; tests
// substitute a deterministic source to make reproducible tokens.
//
// Scope: RandomSource supplies the random values this library draws itself
// (the token id). Key generation and ECDSA nonces stay inside OpenSSL, which
// draws them from the same CSPRNG.
#pragma once

#include <span>

#include "controller/status.h"

namespace st {

class RandomSource {
 public:
  virtual ~RandomSource() = default;
  // Fills `out` with random bytes. Errors: Internal when the generator
  // cannot deliver (e.g. it is not seeded); `out` is then unspecified.
  // Implementations must be thread-safe.
  virtual ctrl::Status fill(std::span<unsigned char> out) = 0;
};

// OpenSSL's CSPRNG (RAND_bytes). Stateless and thread-safe; one shared
// instance is enough.
class OpenSslRandomSource final : public RandomSource {
 public:
  ctrl::Status fill(std::span<unsigned char> out) override;
  static OpenSslRandomSource& instance();
};

}  // namespace st
