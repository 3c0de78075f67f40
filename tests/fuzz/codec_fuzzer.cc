// The API codecs: the input is one object as the API server would send it,
// decoded by st::decodeServiceToken, st::decodeServiceUser and
// st::decodeTokenSecret; a decoded Secret's annotations are then read as the
// issuer reads them (st::readIssuedState, which users can edit), and a decoded
// ServiceToken's spec resolved as the reconciler does. Properties: no crash;
// errors are InvalidArgument; a decoded status written with statusPatch()
// decodes to the same status.
#include <cstddef>
#include <cstdint>

#include "api/codec.h"
#include "controller/json.h"
#include "fuzz_check.h"
#include "policy/lifetime.h"
#include "servicetoken/issued_state.h"

namespace {

using stfuzz::check;

template <typename T>
void checkError(const ctrl::StatusOr<T>& decoded, const char* what) {
  check(decoded.isOk() || decoded.status().code() == ctrl::Code::kInvalidArgument, what);
}

// {"metadata":{"name":"x"},"status":<the status of the patch>}
template <typename Status>
ctrl::Json objectWith(const Status& status) {
  auto patch = st::statusPatch(status);
  check(patch.isOk(), "a decoded status does not encode");
  auto parsed = ctrl::parseJson(patch->text);
  check(parsed.isOk(), "an encoded status is not JSON");
  (*parsed)["metadata"] = {{"name", "x"}};
  return std::move(parsed).value();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The client's limits for one object.
  auto object = ctrl::parseJson(stfuzz::asText(data, size), {.maxBytes = 1 << 20, .maxDepth = 65});
  if (!object.isOk()) return 0;

  auto token = st::decodeServiceToken(*object);
  checkError(token, "decodeServiceToken: not InvalidArgument");
  if (token.isOk()) {
    auto lifetime = st::resolveLifetime(token->spec);
    if (lifetime.isOk()) (void)st::resolveRotation(token->spec, *lifetime);
    auto again = st::decodeServiceToken(objectWith(token->status));
    check(again.isOk(), "an encoded ServiceToken status does not decode");
    check(again->status == token->status, "a ServiceToken status round trip changed it");
  }

  auto user = st::decodeServiceUser(*object);
  checkError(user, "decodeServiceUser: not InvalidArgument");
  if (user.isOk()) {
    auto again = st::decodeServiceUser(objectWith(user->status));
    check(again.isOk(), "an encoded ServiceUser status does not decode");
    check(again->status == user->status, "a ServiceUser status round trip changed it");
  }

  auto secret = st::decodeTokenSecret(*object);
  checkError(secret, "decodeTokenSecret: not InvalidArgument");
  if (secret.isOk()) {
    const st::IssuedState state = st::readIssuedState(*secret);
    if (state.expiresAt) (void)ctrl::formatRfc3339(*state.expiresAt);
    if (token.isOk()) (void)st::ownedBy(*secret, *token);
  }
  return 0;
}
