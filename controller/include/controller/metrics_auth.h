// Who may read /metrics, decided by the Kubernetes API server the way
// controller-runtime's filters.WithAuthenticationAndAuthorization and
// kube-rbac-proxy decide it: the caller's bearer token goes into a
// TokenReview (authentication), and the user it names into a
// SubjectAccessReview for the non-resource URL (authorization), which RBAC
// grants with a rule such as
//
//   kind: ClusterRole
//   rules: [{nonResourceURLs: [/metrics], verbs: [get]}]
//
// The process needs `create` on tokenreviews.authentication.k8s.io and
// subjectaccessreviews.authorization.k8s.io.
//
// Decisions are cached briefly, keyed by a SHA-256 of the token (never the
// token itself), so a scrape storm costs at most one pair of reviews per
// caller per TTL. Answers from the API server that are errors are not cached.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/http_server.h"
#include "controller/status.h"

namespace ctrl {

enum class AccessDecision {
  kAllowed,          // HTTP 200
  kUnauthenticated,  // HTTP 401: no bearer token, or the API server does not accept it
  kForbidden,        // HTTP 403: authenticated, but not granted the verb on the URL
};

struct AccessReview {
  AccessDecision decision = AccessDecision::kUnauthenticated;
  std::string user;  // the authenticated user name; "" when unauthenticated
};

class RequestAuthorizer {
 public:
  virtual ~RequestAuthorizer() = default;
  // Decides whether the bearer token in `authorization` (the whole header:
  // "Bearer <token>") may `verb` the non-resource URL `path`. Blocks for up
  // to two API calls. A missing or malformed header is kUnauthenticated.
  // Errors: the API's (Unavailable, Timeout; Forbidden when this process may
  // not create reviews), never cached. Messages never contain the token.
  // Thread-safe.
  virtual StatusOr<AccessReview> authorize(std::string_view authorization, std::string_view verb,
                                           std::string_view path) = 0;
};

struct DelegatingAuthorizerOptions {
  // How long a decision (allowed, forbidden or unauthenticated) is reused.
  Duration cacheTtl = std::chrono::seconds(10);
  // The cache never holds more; when full, expired entries are dropped, then
  // the oldest.
  size_t maxCacheEntries = 4096;
  // A longer token is refused (kUnauthenticated) without asking the API.
  size_t maxTokenBytes = 16 << 10;
  // TokenReview spec.audiences; empty means the API server's own.
  std::vector<std::string> audiences;
};

// An authorizer asking the API server through `client` (TokenReview, then
// SubjectAccessReview). `client` and `clock` must outlive it.
std::unique_ptr<RequestAuthorizer> makeDelegatingAuthorizer(
    Writer& client, Clock& clock, DelegatingAuthorizerOptions options = {});

struct AuthorizedEndpointOptions {
  // The verb checked for GET requests (Kubernetes checks "get" for a GET on
  // a non-resource URL).
  std::string verb = "get";
  // Threads running the reviews: the HTTP server's own threads must not
  // block on the API.
  int workers = 2;
  // Requests waiting for a worker; more are answered 503 at once.
  size_t maxQueued = 64;
};

// Serves a synchronous handler only to callers the authorizer allows: 401
// (with WWW-Authenticate semantics left to the client), 403, 500 when the
// review could not be made, 503 when too many requests wait. Owns its worker
// threads; destroying it answers waiting requests 503 and joins them.
class AuthorizedEndpoint {
 public:
  AuthorizedEndpoint(std::shared_ptr<RequestAuthorizer> authorizer, HttpHandler inner,
                     AuthorizedEndpointOptions options = {});
  ~AuthorizedEndpoint();
  AuthorizedEndpoint(const AuthorizedEndpoint&) = delete;
  AuthorizedEndpoint& operator=(const AuthorizedEndpoint&) = delete;

  // The handler to register with HttpServer::handleAsync. Valid while this
  // object lives; after its destruction the handler answers 503.
  AsyncHttpHandler handler();

 private:
  struct Impl;
  std::shared_ptr<Impl> impl_;
};

}  // namespace ctrl
