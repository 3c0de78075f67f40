#include "verifier/decision.h"

namespace st::verifier {

std::string_view reasonName(Reason reason) {
  switch (reason) {
    case Reason::kAllowed:
      return "allowed";
    case Reason::kMissingToken:
      return "missing_token";
    case Reason::kMalformedHeader:
      return "malformed_header";
    case Reason::kMalformedToken:
      return "malformed_token";
    case Reason::kUnsupportedAlgorithm:
      return "unsupported_algorithm";
    case Reason::kUnknownKey:
      return "unknown_key";
    case Reason::kBadSignature:
      return "bad_signature";
    case Reason::kWrongIssuer:
      return "wrong_issuer";
    case Reason::kWrongAudience:
      return "wrong_audience";
    case Reason::kBadSubject:
      return "bad_subject";
    case Reason::kExpired:
      return "expired";
    case Reason::kNotYetValid:
      return "not_yet_valid";
    case Reason::kUnknownToken:
      return "unknown_token";
    case Reason::kTokenMismatch:
      return "token_mismatch";
    case Reason::kGraceExpired:
      return "grace_expired";
    case Reason::kRevoked:
      return "revoked";
    case Reason::kServiceUserGone:
      return "service_user_gone";
    case Reason::kInsufficientScope:
      return "insufficient_scope";
    case Reason::kNotReady:
      return "not_ready";
  }
  return "unknown";
}

Result resultOf(Reason reason) {
  switch (reason) {
    case Reason::kAllowed:
      return Result::kAllowed;
    case Reason::kInsufficientScope:
      return Result::kForbidden;
    case Reason::kNotReady:
      return Result::kUnavailable;
    default:
      return Result::kUnauthenticated;
  }
}

std::string_view resultName(Result result) {
  switch (result) {
    case Result::kAllowed:
      return "allowed";
    case Result::kUnauthenticated:
      return "unauthenticated";
    case Result::kForbidden:
      return "forbidden";
    case Result::kUnavailable:
      return "unavailable";
  }
  return "unknown";
}

}  // namespace st::verifier
