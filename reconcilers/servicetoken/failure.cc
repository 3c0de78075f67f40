#include "servicetoken/failure.h"

#include <algorithm>

namespace st {

std::string failureReason(const ctrl::Status& error) {
  switch (error.code()) {
    case ctrl::Code::kInvalid:
      return "Invalid";
    case ctrl::Code::kInvalidArgument:  // 400, 413 RequestEntityTooLarge, 415
      return "BadRequest";
    case ctrl::Code::kForbidden:
      // An admission policy or webhook that denied the request will deny it
      // again; an RBAC refusal may be a permission not granted yet or an API
      // server still loading its authorizer after a restart: back off.
      return error.message().find("denied") != std::string::npos ? "PolicyDenied" : "Forbidden";
    default:
      return "MintFailed";
  }
}

bool isPermanentFailure(std::string_view reason) {
  return reason == "Invalid" || reason == "BadRequest" || reason == "PolicyDenied";
}

ctrl::Duration failureBackoff(int32_t attempts, std::string_view reason) {
  if (isPermanentFailure(reason)) return kPermanentRetry;
  ctrl::Duration d = std::chrono::seconds(5);
  for (int i = 1; i < attempts && d < std::chrono::minutes(10); ++i) d *= 2;
  return std::min<ctrl::Duration>(d, std::chrono::minutes(10));
}

}  // namespace st
