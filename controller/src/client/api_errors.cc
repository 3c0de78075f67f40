#include "client/api_errors.h"

#include <charconv>
#include <string>
#include <string_view>

#include "controller/json.h"

namespace ctrl::client {
namespace {

// Status bodies are small; anything bigger is not one we want to parse.
constexpr JsonLimits kStatusLimits{64 << 10, 16};
// Server messages name fields and values; keep them readable in a condition.
constexpr size_t kMaxMessage = 1024;

Code codeFor(std::string_view reason, int code) {
  // The reason is the precise signal; the HTTP code is the fallback.
  if (reason == "NotFound") return Code::kNotFound;
  if (reason == "AlreadyExists") return Code::kAlreadyExists;
  if (reason == "Conflict") return Code::kConflict;
  if (reason == "Gone" || reason == "Expired") return Code::kGone;
  if (reason == "Unauthorized") return Code::kUnauthorized;
  if (reason == "Forbidden") return Code::kForbidden;
  if (reason == "Invalid") return Code::kInvalid;
  if (reason == "TooManyRequests") return Code::kTooManyRequests;
  if (reason == "Timeout") return Code::kTimeout;
  if (reason == "ServerTimeout" || reason == "ServiceUnavailable" || reason == "InternalError") {
    return Code::kUnavailable;
  }
  if (reason == "BadRequest" || reason == "RequestEntityTooLarge" ||
      reason == "UnsupportedMediaType") {
    return Code::kInvalidArgument;
  }
  switch (code) {
    case 400:
    case 413:
    case 415:
      return Code::kInvalidArgument;
    case 401:
      return Code::kUnauthorized;
    case 403:
      return Code::kForbidden;
    case 404:
      return Code::kNotFound;
    case 409:
      return Code::kConflict;
    case 410:
      return Code::kGone;
    case 422:
      return Code::kInvalid;
    case 429:
      return Code::kTooManyRequests;
    case 504:
      return Code::kTimeout;
    default:
      break;
  }
  if (code >= 500) return Code::kUnavailable;
  return Code::kInternal;
}

std::string genericMessage(int code) { return "the server answered HTTP " + std::to_string(code); }

std::string truncated(std::string message) {
  if (message.size() > kMaxMessage) {
    message.resize(kMaxMessage);
    message += "...";
  }
  return message;
}

bool isStatusObject(const Json& object) {
  if (!object.is_object()) return false;
  auto kind = object.find("kind");
  return kind != object.end() && kind->is_string() && *kind == "Status";
}

bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

}  // namespace

Status statusFromObject(const Json& object, int httpStatus) {
  if (!object.is_object()) return {codeFor("", httpStatus), genericMessage(httpStatus)};
  int code = httpStatus;
  std::string_view reason;
  std::string message;
  if (auto it = object.find("code"); it != object.end() && it->is_number_integer()) {
    code = it->get<int>();
  }
  if (auto it = object.find("reason"); it != object.end() && it->is_string()) {
    reason = it->get_ref<const std::string&>();
  }
  if (auto it = object.find("message"); it != object.end() && it->is_string()) {
    message = truncated(it->get<std::string>());
  }
  if (message.empty()) message = genericMessage(code);
  return {codeFor(reason, code), std::move(message)};
}

Status statusFromResponse(const HttpResponse& response) {
  auto parsed = parseJson(response.body, kStatusLimits);
  if (parsed.isOk() && isStatusObject(*parsed)) return statusFromObject(*parsed, response.status);
  return {codeFor("", response.status), genericMessage(response.status)};
}

std::optional<Duration> retryAfter(const HttpResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (!equalsIgnoreCase(name, "Retry-After")) continue;
    int seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    // HTTP-dates are allowed too, but the API server only sends seconds.
    if (ec == std::errc() && end == value.data() + value.size() && seconds >= 0) {
      return std::chrono::seconds(seconds);
    }
  }
  auto parsed = parseJson(response.body, kStatusLimits);
  if (!parsed.isOk() || !isStatusObject(*parsed)) return std::nullopt;
  auto details = parsed->find("details");
  if (details == parsed->end() || !details->is_object()) return std::nullopt;
  auto seconds = details->find("retryAfterSeconds");
  if (seconds == details->end() || !seconds->is_number_integer() || seconds->get<int>() < 0) {
    return std::nullopt;
  }
  return std::chrono::seconds(seconds->get<int>());
}

}  // namespace ctrl::client
