// The delegating authorizer (TokenReview + SubjectAccessReview, cached) and
// the endpoint that runs it off the HTTP server's threads.
#include "controller/metrics_auth.h"

#include <openssl/evp.h>

#include <algorithm>
#include <cctype>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "controller/log.h"

namespace ctrl {
namespace {

const Resource& tokenReviews() {
  static const Resource r{"authentication.k8s.io", "v1", "tokenreviews", "TokenReview", false};
  return r;
}

const Resource& subjectAccessReviews() {
  static const Resource r{"authorization.k8s.io", "v1", "subjectaccessreviews",
                          "SubjectAccessReview", false};
  return r;
}

// The token of an "Authorization: Bearer <token>" header, or "" when the
// header is absent or not a bearer token (RFC 6750: the scheme is
// case-insensitive, one or more spaces follow it).
std::string_view bearerToken(std::string_view header) {
  constexpr std::string_view kScheme = "bearer";
  if (header.size() <= kScheme.size()) return {};
  for (size_t i = 0; i < kScheme.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kScheme[i]) return {};
  }
  std::string_view rest = header.substr(kScheme.size());
  if (rest.front() != ' ') return {};
  rest.remove_prefix(std::min(rest.find_first_not_of(' '), rest.size()));
  while (!rest.empty() && rest.back() == ' ') rest.remove_suffix(1);
  // A token is one word of visible ASCII.
  for (char c : rest) {
    if (c <= ' ' || c > '~') return {};
  }
  return rest;
}

// The cache key: SHA-256 of the token, then the verb and the path. Holding a
// digest rather than the token keeps credentials out of a core dump's cache.
std::string cacheKey(std::string_view token, std::string_view verb, std::string_view path) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int size = 0;
  if (EVP_Digest(token.data(), token.size(), digest, &size, EVP_sha256(), nullptr) != 1) {
    return {};  // not cacheable
  }
  std::string key(reinterpret_cast<const char*>(digest), size);
  key += '\0';
  key += verb;
  key += '\0';
  key += path;
  return key;
}

class DelegatingAuthorizer final : public RequestAuthorizer {
 public:
  DelegatingAuthorizer(Writer& client, Clock& clock, DelegatingAuthorizerOptions options)
      : client_(client), clock_(clock), options_(std::move(options)) {}

  StatusOr<AccessReview> authorize(std::string_view authorization, std::string_view verb,
                                   std::string_view path) override {
    const std::string_view token = bearerToken(authorization);
    if (token.empty() || token.size() > options_.maxTokenBytes) return AccessReview{};
    const std::string key = cacheKey(token, verb, path);
    if (auto cached = lookup(key)) return *cached;
    auto review = ask(token, verb, path);
    if (review.isOk() && !key.empty()) remember(key, *review);
    return review;
  }

 private:
  struct Entry {
    AccessReview review;
    MonoTime expires;
  };

  StatusOr<AccessReview> ask(std::string_view token, std::string_view verb, std::string_view path) {
    Json tokenReview = {{"apiVersion", "authentication.k8s.io/v1"},
                        {"kind", "TokenReview"},
                        {"spec", {{"token", std::string(token)}}}};
    if (!options_.audiences.empty()) tokenReview["spec"]["audiences"] = options_.audiences;
    // The server's errors never quote the request body, so the token stays
    // out of the message.
    auto authn = client_.create(tokenReviews(), "", tokenReview);
    if (!authn.isOk()) return authn.status().withContext("TokenReview");
    const Json& status = authn->contains("status") ? (*authn)["status"] : Json::object();
    if (!status.is_object() || !status.value("authenticated", false)) return AccessReview{};
    const Json user = status.value("user", Json::object());
    if (!user.is_object() || !user.contains("username") || !user["username"].is_string()) {
      return AccessReview{};
    }

    Json spec = {
        {"user", user["username"]},
        {"nonResourceAttributes", {{"path", std::string(path)}, {"verb", std::string(verb)}}}};
    if (user.contains("uid") && user["uid"].is_string()) spec["uid"] = user["uid"];
    if (user.contains("groups") && user["groups"].is_array()) spec["groups"] = user["groups"];
    if (user.contains("extra") && user["extra"].is_object()) spec["extra"] = user["extra"];
    Json accessReview = {{"apiVersion", "authorization.k8s.io/v1"},
                         {"kind", "SubjectAccessReview"},
                         {"spec", std::move(spec)}};
    auto authz = client_.create(subjectAccessReviews(), "", accessReview);
    if (!authz.isOk()) return authz.status().withContext("SubjectAccessReview");
    AccessReview review;
    review.user = user["username"].get<std::string>();
    const Json& decision = authz->contains("status") ? (*authz)["status"] : Json::object();
    const bool allowed = decision.is_object() && decision.value("allowed", false) &&
                         !decision.value("denied", false);
    review.decision = allowed ? AccessDecision::kAllowed : AccessDecision::kForbidden;
    return review;
  }

  std::optional<AccessReview> lookup(const std::string& key) {
    if (key.empty()) return std::nullopt;
    std::lock_guard lock(mu_);
    auto it = cache_.find(key);
    if (it == cache_.end()) return std::nullopt;
    if (clock_.now() >= it->second.expires) {
      cache_.erase(it);
      return std::nullopt;
    }
    return it->second.review;
  }

  void remember(const std::string& key, const AccessReview& review) {
    std::lock_guard lock(mu_);
    const MonoTime now = clock_.now();
    if (cache_.size() >= options_.maxCacheEntries) {
      std::erase_if(cache_, [now](const auto& kv) { return now >= kv.second.expires; });
    }
    while (!cache_.empty() && cache_.size() >= options_.maxCacheEntries) {
      // Every entry lives for the same TTL: the one expiring first is the oldest.
      auto oldest = std::min_element(
          cache_.begin(), cache_.end(),
          [](const auto& a, const auto& b) { return a.second.expires < b.second.expires; });
      cache_.erase(oldest);
    }
    if (options_.maxCacheEntries == 0) return;
    cache_[key] = Entry{review, now + options_.cacheTtl};
  }

  Writer& client_;
  Clock& clock_;
  const DelegatingAuthorizerOptions options_;
  std::mutex mu_;
  std::map<std::string, Entry> cache_;  // guarded by mu_
};

HttpServerResponse plain(int status, std::string body) {
  HttpServerResponse r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

}  // namespace

std::unique_ptr<RequestAuthorizer> makeDelegatingAuthorizer(Writer& client, Clock& clock,
                                                            DelegatingAuthorizerOptions options) {
  return std::make_unique<DelegatingAuthorizer>(client, clock, std::move(options));
}

// The queue and the workers. Shared with the handler, so a request arriving
// after the endpoint is gone finds `closed` and is answered at once.
struct AuthorizedEndpoint::Impl {
  struct Pending {
    AsyncHttpRequest request;
    HttpReply reply;
  };

  Impl(std::shared_ptr<RequestAuthorizer> a, HttpHandler h, AuthorizedEndpointOptions o)
      : authorizer(std::move(a)), inner(std::move(h)), options(std::move(o)) {}

  void enqueue(const AsyncHttpRequest& request, HttpReply reply) {
    {
      std::lock_guard lock(mu);
      if (!closed && queue.size() < options.maxQueued) {
        queue.push_back({request, std::move(reply)});
        cv.notify_one();
        return;
      }
    }
    log.v(1).info("Refused a request: too many waiting", {{"path", request.path}});
    reply(plain(503, "too many requests waiting for authorization\n"));
  }

  void work() {
    for (;;) {
      Pending next;
      {
        std::unique_lock lock(mu);
        cv.wait(lock, [&] { return closed || !queue.empty(); });
        if (queue.empty()) return;  // closed and drained
        next = std::move(queue.front());
        queue.pop_front();
      }
      next.reply(answer(next.request));
    }
  }

  HttpServerResponse answer(const AsyncHttpRequest& request) {
    auto review = authorizer->authorize(request.authorization, options.verb, request.path);
    if (!review.isOk()) {
      log.error(review.status(), "Failed to authorize a request", {{"path", request.path}});
      return plain(500, "Internal Server Error: authorization failed\n");
    }
    switch (review->decision) {
      case AccessDecision::kAllowed:
        try {
          return inner(request.path);
        } catch (const std::exception&) {
          return plain(500, "Internal Server Error\n");
        }
      case AccessDecision::kUnauthenticated:
        log.v(1).info("Refused an unauthenticated request", {{"path", request.path}});
        return plain(401, "Unauthorized\n");
      case AccessDecision::kForbidden:
        log.v(1).info("Refused a forbidden request",
                      {{"path", request.path}, {"user", review->user}, {"verb", options.verb}});
        return plain(403, "Forbidden: user \"" + review->user + "\" may not " + options.verb + " " +
                              request.path + "\n");
    }
    return plain(500, "Internal Server Error\n");
  }

  const std::shared_ptr<RequestAuthorizer> authorizer;
  const HttpHandler inner;
  const AuthorizedEndpointOptions options;
  const log::Logger log = log::named("metrics-auth");
  std::mutex mu;
  std::condition_variable cv;
  bool closed = false;        // guarded by mu
  std::deque<Pending> queue;  // guarded by mu
  std::vector<std::thread> workers;
};

AuthorizedEndpoint::AuthorizedEndpoint(std::shared_ptr<RequestAuthorizer> authorizer,
                                       HttpHandler inner, AuthorizedEndpointOptions options)
    : impl_(std::make_shared<Impl>(std::move(authorizer), std::move(inner), std::move(options))) {
  const int workers = std::max(1, impl_->options.workers);
  for (int i = 0; i < workers; ++i) {
    impl_->workers.emplace_back([impl = impl_.get()] { impl->work(); });
  }
}

AuthorizedEndpoint::~AuthorizedEndpoint() {
  std::deque<Impl::Pending> waiting;
  {
    std::lock_guard lock(impl_->mu);
    impl_->closed = true;
    waiting.swap(impl_->queue);
    impl_->cv.notify_all();
  }
  for (auto& p : waiting) p.reply(plain(503, "shutting down\n"));
  for (auto& t : impl_->workers) t.join();
}

AsyncHttpHandler AuthorizedEndpoint::handler() {
  std::weak_ptr<Impl> weak = impl_;
  return [weak](const AsyncHttpRequest& request, HttpReply reply) {
    if (auto impl = weak.lock()) {
      impl->enqueue(request, std::move(reply));
    } else {
      reply(plain(503, "shutting down\n"));
    }
  };
}

}  // namespace ctrl
