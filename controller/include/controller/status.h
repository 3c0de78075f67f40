// Errors as values. A Status is either OK or a code plus a human message;
// StatusOr<T> carries a value or a non-OK Status. The codes follow the
// Kubernetes API's error reasons (NotFound, Conflict, ...) so callers can
// branch on them without parsing text.
//
// Messages are shown to humans and may end up in logs, events and conditions:
// never put a secret (token, key) into one.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace ctrl {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the caller's input is malformed (also HTTP 400 BadRequest)
  kNotFound,         // HTTP 404
  kAlreadyExists,    // HTTP 409, reason AlreadyExists
  kConflict,         // HTTP 409, resourceVersion precondition failed
  kGone,             // HTTP 410 or a watch ERROR with code 410: resourceVersion too old
  kUnauthorized,     // HTTP 401
  kForbidden,        // HTTP 403
  kInvalid,          // HTTP 422: the server rejected the object (schema, CEL)
  kTooManyRequests,  // HTTP 429
  kUnavailable,      // HTTP 5xx, connection refused or reset: try again later
  kTimeout,          // a deadline passed (HTTP 504 and client-side timeouts)
  kCancelled,        // the operation was stopped by its caller
  kInternal,         // a bug or an unexpected answer
  kFenced,           // a write refused or cut off because this process no longer
                     // leads (controller/write_fence.h): stop, do not retry
};

// Returns the PascalCase name of a code, e.g. "NotFound".
std::string_view codeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status ok() { return {}; }

  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // "NotFound: secrets \"x\" not found"
  std::string toString() const;

  // Returns a copy whose message is prefixed with `context: `.
  Status withContext(std::string_view context) const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status errorStatus(Code code, std::string message) { return {code, std::move(message)}; }

template <typename T>
class [[nodiscard]] StatusOr {
 public:
  StatusOr(T value) : value_(std::move(value)) {}         // NOLINT: implicit by design
  StatusOr(Status status) : status_(std::move(status)) {  // NOLINT: implicit by design
    assert(!status_.isOk() && "StatusOr needs a value or an error");
  }

  bool isOk() const { return value_.has_value(); }
  const Status& status() const { return status_; }

  // Preconditions: isOk().
  T& value() & {
    assert(isOk());
    return *value_;
  }
  const T& value() const& {
    assert(isOk());
    return *value_;
  }
  T&& value() && {
    assert(isOk());
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace ctrl
