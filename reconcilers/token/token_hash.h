// One-way hashes of tokens: the only form in which the operator keeps a token
// after writing it into its Secret (status, annotations, comparisons).
#pragma once

#include <string>
#include <string_view>

#include "token/secret_string.h"

namespace st {

// Returns the raw 32-byte SHA-256 digest of `data` (OpenSSL EVP). Aborts only
// if SHA-256 is unavailable, which is a broken installation. Thread-safe.
std::string sha256(std::string_view data);

// Returns "sha256:" followed by the lowercase hex SHA-256 of the token's
// bytes, e.g. for "abc":
// "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad".
// Thread-safe.
std::string tokenHash(const SecretString& token);
std::string tokenHash(std::string_view token);

}  // namespace st
