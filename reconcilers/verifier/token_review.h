// The Kubernetes TokenReview API (authentication.k8s.io/v1) at
// /apis/authentication.k8s.io/v1/tokenreviews, so kube-apiserver's
// authentication webhook and any TokenReview consumer accept ServiceTokens.
//
// In: POST of a TokenReview {spec: {token, audiences}} (at most
// kMaxReviewBytes; v1beta1 is accepted too and answered in kind).
// Out: 200 with the TokenReview's status:
//   authenticated: true, user {username: userId, uid: the ServiceUser's uid,
//   groups: servicetoken:role:<role>, servicetoken:scope:<scope>,
//   servicetoken:team:<team>..., extra: servicetoken.dev/token-id,
//   servicetoken.dev/token-name, servicetoken.dev/servicetoken},
//   audiences: [aud] when spec.audiences was given;
// or authenticated: false with an error naming the reason. 400 for a
// malformed review, 405 for another method, 503 before the caches synced.
// The token is never echoed (the answer has no spec.token).
//
// Audiences: with spec.audiences, the token's aud must be one of them. Without,
// the review means "the audience of the API server", which is the verifier's
// API audience: SCIM-only tokens (their own audience) are refused.
#pragma once

#include <optional>
#include <string_view>

#include "controller/http_server.h"
#include "verifier/authenticator.h"

namespace st::verifier {

inline constexpr std::string_view kTokenReviewPath = "/apis/authentication.k8s.io/v1/tokenreviews";
inline constexpr size_t kMaxReviewBytes = 64 * 1024;
inline constexpr size_t kMaxReviewAudiences = 32;

struct TokenReviewOutcome {
  ctrl::HttpServerResponse response;
  std::optional<Decision> decision;  // nullopt when the review itself was refused
};

// Serves one request. Thread-safe.
TokenReviewOutcome serveTokenReview(std::string_view method, std::string_view body,
                                    const Authenticator& authenticator);

}  // namespace st::verifier
