// Packings (controller/pack.h) of the cached API types, so the operator's
// informers keep each ServiceToken, ServiceUser and token Secret in one
// allocation of its actual bytes. Every field of the struct is packed; the
// round-trip tests (tests/unit/api/pack_test.cc) fill each one.
#pragma once

#include "api/types.h"
#include "controller/pack.h"

namespace st {

// The strings the operator writes on (nearly) every object and Event, each
// packed as one byte: by these packings and by the event recorder's queue.
const ctrl::PackDictionary& packWords();

const ctrl::Packing<ServiceToken>& serviceTokenPacking();
const ctrl::Packing<ServiceUser>& serviceUserPacking();
const ctrl::Packing<TokenSecret>& tokenSecretPacking();

}  // namespace st
