// The forward-auth interface (/v1/authorize): the contract shared by nginx
// auth_request, ingress-nginx auth-url, Traefik ForwardAuth and Envoy's HTTP
// ext_authz. The proxy sends the client's Authorization header and the
// original URI; the answer is
//
//   200  with X-Auth-Request-User, -Email, -Role, -Teams, -Scope, -Token-Id,
//        -Token-Name, -Token-Type for the upstream;
//   401  WWW-Authenticate: Bearer realm="servicetoken", error="invalid_token"
//        (no error attribute when no token was sent; "invalid_request" for
//        an Authorization header that is not one bearer token);
//   403  WWW-Authenticate: Bearer ..., error="insufficient_scope" for a
//        SCIM-only token outside /scim/v2/;
//   503  before the caches are synced.
//
// The token is never echoed, in headers or bodies.
#pragma once

#include <optional>
#include <string_view>

#include "controller/http_server.h"
#include "verifier/authenticator.h"
#include "verifier/decision.h"

namespace st::verifier {

inline constexpr std::string_view kForwardAuthPath = "/v1/authorize";

inline constexpr const char* kUserHeader = "X-Auth-Request-User";
inline constexpr const char* kEmailHeader = "X-Auth-Request-Email";
inline constexpr const char* kRoleHeader = "X-Auth-Request-Role";
inline constexpr const char* kTeamsHeader = "X-Auth-Request-Teams";
inline constexpr const char* kScopeHeader = "X-Auth-Request-Scope";
inline constexpr const char* kTokenIdHeader = "X-Auth-Request-Token-Id";
inline constexpr const char* kTokenNameHeader = "X-Auth-Request-Token-Name";
inline constexpr const char* kTokenTypeHeader = "X-Auth-Request-Token-Type";

struct ForwardAuthInput {
  std::string_view authorization;   // "" when absent
  size_t authorizationHeaders = 0;  // how many Authorization headers were sent
  // The original request-target: X-Original-URI, else X-Forwarded-Uri, else
  // what follows /v1/authorize in the request's own target (Envoy's
  // path_prefix convention); nullopt when none of them is there.
  std::optional<std::string_view> originalUri;
  std::string_view originalMethod;  // X-Original-Method or X-Forwarded-Method
};

// Reads the input from a request to /v1/authorize or below it.
ForwardAuthInput forwardAuthInput(const ctrl::HttpServerRequest& request);

// Bearer extraction, authentication and the SCIM scope rule.
Decision decideForwardAuth(const ForwardAuthInput& input, const Authenticator& authenticator);

// The HTTP answer for a decision. Pure.
ctrl::HttpServerResponse forwardAuthResponse(const Decision& decision);

}  // namespace st::verifier
