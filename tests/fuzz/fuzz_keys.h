// Fixed signing keys for the JWT fuzz targets, so runs are reproducible and
// the seed tokens in corpus/jwt (made by make_jwt_seeds.sh with the same keys)
// carry valid signatures. Test fixtures only: these keys sign nothing real.
#pragma once

#include <cstdlib>
#include <string>

#include "fuzz_check.h"
#include "token/jwks.h"
#include "token/signing_key.h"

namespace stfuzz {

// RFC 8032 §7.1, TEST 1: the secret key (seed) of a published Ed25519 vector.
inline std::string ed25519Seed() {
  static const unsigned char kSeed[32] = {0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60,
                                          0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c, 0xc4,
                                          0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19,
                                          0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae, 0x7f, 0x60};
  return {reinterpret_cast<const char*>(kSeed), sizeof kSeed};
}

// A P-256 key generated for these tests (tests/fuzz/data/jwt/es256.pem).
inline constexpr const char* kEs256Pem =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgzDH3C8N4Tj5D+J6p\n"
    "7cVW4eBjEeLE+8lVwYGBETNs5iWhRANCAASe0ycV/GOMmLOPpRKIv9SZQGKxOCNZ\n"
    "F/S5d9n18ZPoWcqmK4StwUurcpbhy62x61DF5azaQUuqxm16jKonkJIl\n"
    "-----END PRIVATE KEY-----\n";

inline const st::SigningKey& ed25519Key() {
  static const st::SigningKey key = [] {
    auto k = st::SigningKey::fromEd25519Seed(ed25519Seed());
    check(k.isOk(), "the Ed25519 fixture key does not load");
    return std::move(k).value();
  }();
  return key;
}

inline const st::SigningKey& es256Key() {
  static const st::SigningKey key = [] {
    auto k = st::SigningKey::fromPem(kEs256Pem);
    check(k.isOk(), "the ES256 fixture key does not load");
    return std::move(k).value();
  }();
  return key;
}

// Both public keys, under their RFC 7638 thumbprints as kids.
inline const st::Jwks& fixtureJwks() {
  static const st::Jwks jwks = [] {
    auto set = st::Jwks::fromKeys({ed25519Key().publicKey(), es256Key().publicKey()});
    check(set.isOk(), "the fixture JWKS cannot be built");
    return std::move(set).value();
  }();
  return jwks;
}

}  // namespace stfuzz
