// The Client over a Transport: builds targets and bodies, applies the
// client-side rate limit, retries idempotent reads, maps errors, and counts
// requests. Bodies are serialized once and moved, never copied or logged.
#include <algorithm>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stop_token>
#include <string>
#include <utility>

#include "client/api_errors.h"
#include "client/media_types.h"
#include "client/query.h"
#include "client/request_metrics.h"
#include "client/type_meta.h"
#include "client/watch_decoder.h"
#include "controller/client.h"
#include "controller/json.h"
#include "controller/rate_limiter.h"
#include "controller/retry.h"

namespace ctrl {
namespace {

using client::kJson;
using client::kMetadataJson;

std::string_view contentTypeFor(PatchType type) {
  switch (type) {
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return kJson;
}

bool isSuccess(int status) { return status >= 200 && status < 300; }

// metadata.<field> of an object as a string, or "".
std::string_view metadataString(const Json& object, const char* field) {
  if (!object.is_object()) return {};
  auto meta = object.find("metadata");
  if (meta == object.end() || !meta->is_object()) return {};
  auto it = meta->find(field);
  if (it == meta->end() || !it->is_string()) return {};
  return it->get_ref<const std::string&>();
}

class ClientImpl final : public Client {
 public:
  ClientImpl(std::unique_ptr<Transport> transport, const RestConfig& config,
             const ClientOptions& options)
      : transport_(std::move(transport)),
        options_(options),
        clock_(options.clock != nullptr ? *options.clock : RealClock::instance()),
        fieldManager_(!options.fieldManager.empty() ? options.fieldManager : config.userAgent),
        metrics_(client::hostLabel(config.server)) {
    if (config.qps > 0) bucket_ = std::make_unique<TokenBucket>(clock_, config.qps, config.burst);
  }

  StatusOr<Json> get(const Resource& resource, std::string_view ns, std::string_view name,
                     const CallOptions& call) override {
    if (name.empty()) return Status(Code::kInvalidArgument, "get: empty name");
    return decodeObject(
        execute(request("GET", resource.path(ns, name), {}, {}, call.response), call),
        call.response);
  }

  StatusOr<ListPage> list(const Resource& resource, std::string_view ns, const ListOptions& options,
                          const CallOptions& call) override {
    client::Query query(resource.path(ns));
    query.add("labelSelector", options.labelSelector)
        .add("fieldSelector", options.fieldSelector)
        .add("continue", options.continueToken)
        .add("resourceVersion", options.resourceVersion);
    if (options.limit > 0) query.add("limit", options.limit);
    // Always whole: CallOptions::response is for calls that return one object.
    auto doc =
        decodeObject(execute(request("GET", std::move(query).take()), call), ResponseShape::kFull);
    if (!doc.isOk()) return doc.status();
    ListPage page;
    page.resourceVersion = metadataString(*doc, "resourceVersion");
    page.continueToken = metadataString(*doc, "continue");
    auto items = doc->find("items");
    if (items != doc->end() && items->is_array()) {
      page.items = std::make_unique<Json>(std::move(*items));
    } else {
      page.items = std::make_unique<Json>(Json::array());  // "items": null when empty
    }
    for (Json& item : *page.items) client::fillTypeMeta(item, resource);
    return page;
  }

  StatusOr<Json> create(const Resource& resource, std::string_view ns, const Json& object,
                        const WriteOptions& options, const CallOptions& call) override {
    if (ns.empty()) ns = metadataString(object, "namespace");
    return post(resource, ns, object.dump(), options, call);
  }

  StatusOr<Json> createText(const Resource& resource, std::string_view ns, JsonText body,
                            const WriteOptions& options, const CallOptions& call) override {
    return post(resource, ns, std::move(body.text), options, call);
  }

  StatusOr<Json> createSubresource(const Resource& resource, std::string_view ns,
                                   std::string_view name, std::string_view subresource,
                                   const Json& body, const CallOptions& call) override {
    if (name.empty() || subresource.empty()) {
      return Status(Code::kInvalidArgument, "createSubresource: empty name or subresource");
    }
    return decodeObject(execute(request("POST", resource.path(ns, name, subresource), body.dump(),
                                        kJson, call.response),
                                call),
                        call.response);
  }

  StatusOr<Json> update(const Resource& resource, std::string_view ns, const Json& object,
                        const WriteOptions& options, const CallOptions& call) override {
    return put(resource, ns, object, {}, options, call);
  }

  StatusOr<Json> updateStatus(const Resource& resource, std::string_view ns, const Json& object,
                              const CallOptions& call) override {
    return put(resource, ns, object, "status", {}, call);
  }

  StatusOr<Json> patch(const Resource& resource, std::string_view ns, std::string_view name,
                       PatchType type, const Json& patch, const PatchOptions& options,
                       const CallOptions& call) override {
    // Server-side apply needs kind/apiVersion in the body.
    std::string body =
        type == PatchType::kApply ? client::dumpWithTypeMeta(patch, resource) : patch.dump();
    return sendPatch(resource, ns, name, type, std::move(body), options, call);
  }

  StatusOr<Json> patchText(const Resource& resource, std::string_view ns, std::string_view name,
                           PatchType type, JsonText body, const PatchOptions& options,
                           const CallOptions& call) override {
    return sendPatch(resource, ns, name, type, std::move(body.text), options, call);
  }

  Status remove(const Resource& resource, std::string_view ns, std::string_view name,
                const DeleteOptions& options, const CallOptions& call) override {
    if (name.empty()) return Status(Code::kInvalidArgument, "remove: empty name");
    std::string body;
    if (options.preconditionUid || options.preconditionResourceVersion ||
        !options.propagationPolicy.empty()) {
      Json deleteOptions = {{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
      if (options.preconditionUid) {
        deleteOptions["preconditions"]["uid"] = *options.preconditionUid;
      }
      if (options.preconditionResourceVersion) {
        deleteOptions["preconditions"]["resourceVersion"] = *options.preconditionResourceVersion;
      }
      if (!options.propagationPolicy.empty()) {
        deleteOptions["propagationPolicy"] = options.propagationPolicy;
      }
      body = deleteOptions.dump();
    }
    const std::string_view contentType = body.empty() ? std::string_view() : kJson;
    auto response =
        execute(request("DELETE", resource.path(ns, name), std::move(body), contentType), call);
    if (!response.isOk()) return response.status();
    if (!isSuccess(response->status)) return client::statusFromResponse(*response);
    return Status::ok();
  }

  Status watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
               const WatchHandler& handler, std::stop_token stop) override {
    client::Query query(resource.path(ns));
    query.add("watch", "1")
        .add("resourceVersion", options.resourceVersion)
        .add("labelSelector", options.labelSelector)
        .add("fieldSelector", options.fieldSelector)
        .addIf(options.allowBookmarks, "allowWatchBookmarks", "true");
    if (options.timeoutSeconds > 0) query.add("timeoutSeconds", options.timeoutSeconds);
    HttpRequest req = request("GET", std::move(query).take());
    // An idle timeout: above the server-side timeout, so a quiet watch without
    // bookmarks is ended by the server, not by us.
    const int serverTimeout = options.timeoutSeconds > 0 ? options.timeoutSeconds : 3600;
    req.timeout = std::chrono::seconds(serverTimeout + 30);

    // Refused before it started with 429 or 503 and a Retry-After (e.g. "storage
    // is (re)initializing" for a just-created resource), a watch is sent again
    // after that delay, as client-go does; any other refusal goes back to the
    // caller (the reflector backs off on its own clock).
    for (int attempt = 1;; ++attempt) {
      if (bucket_ && !bucket_->wait(stop)) return Status(Code::kCancelled, "watch stopped");
      client::WatchDecoder decoder(resource,
                                   JsonLimits{options.maxEventBytes, options_.maxJsonDepth + 1},
                                   handler, options_.dropManagedFields);
      auto response = transport_->stream(
          req, [&decoder](std::string_view line) { return decoder.onLine(line); }, stop);
      metrics_.count(req.method, response.isOk() ? response->status : 0);
      if (!decoder.error().isOk()) return decoder.error();
      if (!response.isOk()) return response.status();
      if (response->status == 200) return Status::ok();
      Status refused = client::statusFromResponse(*response);
      const std::optional<Duration> after = client::retryAfter(*response);
      const bool retriable = after && (refused.code() == Code::kTooManyRequests ||
                                       refused.code() == Code::kUnavailable);
      if (!retriable || attempt >= std::max(1, options_.maxReadAttempts)) return refused;
      if (!ctrl::sleepFor(clock_, std::min(*after, options_.maxRetryDelay), stop)) {
        return Status(Code::kCancelled, "watch stopped");
      }
    }
  }

 private:
  static HttpRequest request(std::string_view method, std::string target, std::string body = {},
                             std::string_view contentType = {},
                             ResponseShape shape = ResponseShape::kFull) {
    HttpRequest req;
    req.method = method;
    req.target = std::move(target);
    req.headers.emplace_back("Accept", shape == ResponseShape::kMetadata ? kMetadataJson : kJson);
    if (!contentType.empty()) req.headers.emplace_back("Content-Type", contentType);
    req.body = std::move(body);
    return req;
  }

  void addWriteParams(client::Query& query, bool dryRun, const std::string& fieldManager) const {
    query.addIf(dryRun, "dryRun", "All")
        .add("fieldManager", fieldManager.empty() ? fieldManager_ : fieldManager);
  }

  StatusOr<Json> post(const Resource& resource, std::string_view ns, std::string body,
                      const WriteOptions& options, const CallOptions& call) {
    client::Query query(resource.path(ns));
    addWriteParams(query, options.dryRun, options.fieldManager);
    return decodeObject(
        execute(request("POST", std::move(query).take(), std::move(body), kJson, call.response),
                call),
        call.response);
  }

  StatusOr<Json> sendPatch(const Resource& resource, std::string_view ns, std::string_view name,
                           PatchType type, std::string body, const PatchOptions& options,
                           const CallOptions& call) {
    if (name.empty()) return Status(Code::kInvalidArgument, "patch: empty name");
    client::Query query(resource.path(ns, name, options.subresource));
    addWriteParams(query, options.dryRun, options.fieldManager);
    query.addIf(type == PatchType::kApply && options.force, "force", "true");
    return decodeObject(execute(request("PATCH", std::move(query).take(), std::move(body),
                                        contentTypeFor(type), call.response),
                                call),
                        call.response);
  }

  StatusOr<Json> put(const Resource& resource, std::string_view ns, const Json& object,
                     std::string_view subresource, const WriteOptions& options,
                     const CallOptions& call) {
    std::string_view name = metadataString(object, "name");
    if (name.empty()) return Status(Code::kInvalidArgument, "update: object has no metadata.name");
    if (ns.empty()) ns = metadataString(object, "namespace");
    client::Query query(resource.path(ns, name, subresource));
    addWriteParams(query, options.dryRun, options.fieldManager);
    return decodeObject(
        execute(request("PUT", std::move(query).take(), object.dump(), kJson, call.response), call),
        call.response);
  }

  // Sends `req` under the rate limit, counting each attempt, within `call`'s
  // stop token and deadline. GET (idempotent) is retried on
  // Unavailable/TooManyRequests; a write only on HTTP 429, which API Priority
  // and Fairness and the max-in-flight filter answer before executing
  // anything. Retries wait for the server's Retry-After or an exponential
  // backoff. A write passes `call.fence` immediately before each attempt.
  // Returns the last answer.
  StatusOr<HttpResponse> execute(HttpRequest req, const CallOptions& call) {
    const bool idempotent = req.method == "GET";
    const int attempts = std::max(1, options_.maxReadAttempts);
    Duration backoff = options_.retryBaseDelay;
    for (int attempt = 1;; ++attempt) {
      if (bucket_) {
        const Duration delay = bucket_->reserve();
        if (delay > Duration::zero()) {
          if (Status s = sleepFor(delay, call); !s.isOk()) return s;
        }
      }
      bool sent = false;
      auto response = sendOnce(req, call, sent);
      if (sent) metrics_.count(req.method, response.isOk() ? response->status : 0);
      if (attempt >= attempts) return response;
      std::optional<Duration> delay;
      if (!response.isOk()) {
        // No answer: a write may have been executed, so only reads go again.
        if (!idempotent || response.status().code() != Code::kUnavailable) return response;
      } else {
        if (isSuccess(response->status)) return response;
        if (idempotent) {
          const Code code = client::statusFromResponse(*response).code();
          if (code != Code::kUnavailable && code != Code::kTooManyRequests) return response;
        } else if (response->status != 429) {
          return response;
        }
        delay = client::retryAfter(*response);
      }
      const Duration wait = std::min(delay.value_or(backoff), options_.maxRetryDelay);
      // A retry that could not start before the deadline is not worth waiting for.
      if (call.deadline != MonoTime::max() && clock_.now() + wait >= call.deadline) {
        return response;
      }
      if (Status s = sleepFor(wait, call); !s.isOk()) return s;
      backoff *= 2;
    }
  }

  // One exchange: the fence (writes), then the transport, bounded by the
  // client's request timeout, the call's deadline and the grant's deadline,
  // and cancelled by the call's stop token or the grant's revocation. Sets
  // `sent` when the request was handed to the transport.
  StatusOr<HttpResponse> sendOnce(HttpRequest& req, const CallOptions& call, bool& sent) {
    if (call.stop.stop_requested()) return Status(Code::kCancelled, "call cancelled");
    const MonoTime now = clock_.now();
    MonoTime deadline = now + options_.requestTimeout;
    if (call.deadline < deadline) deadline = call.deadline;
    std::optional<WriteGrant> grant;
    bool fenceBound = false;
    WriteFence* fence = req.method != "GET" ? call.fence : nullptr;
    if (fence != nullptr) {
      grant = fence->admit();
      if (!grant) return fenced("refused a " + req.method + ": this process no longer leads");
      if (grant->deadline < deadline) {
        deadline = grant->deadline;
        fenceBound = true;
      }
    }
    // Returns the grant however this exchange ends.
    struct Finish {
      WriteFence* fence;
      ~Finish() {
        if (fence != nullptr) fence->finish();
      }
    } finish{fence};
    if (deadline <= now) {
      if (fenceBound) return fenced("no time left to write before the lease could expire");
      return Status(Code::kTimeout, "call deadline passed");
    }
    req.timeout = std::chrono::ceil<std::chrono::milliseconds>(deadline - now);
    req.maxResponseBytes = options_.maxResponseBytes;
    req.beforeWrite = nullptr;
    if (grant) {
      // Asked again by the transport just before the bytes go out: a pause
      // after admit() (a stopped process) must not let the write out late.
      req.beforeWrite = [this, until = grant->deadline, revoked = grant->revoked] {
        return !revoked.stop_requested() && clock_.now() < until;
      };
    }
    std::stop_source cancel;
    std::stop_callback onStop(call.stop, [&cancel] { cancel.request_stop(); });
    std::optional<std::stop_callback<std::function<void()>>> onRevoke;
    if (grant)
      onRevoke.emplace(grant->revoked, std::function<void()>([&cancel] { cancel.request_stop(); }));
    sent = true;
    auto response = transport_->send(req, cancel.get_token());
    if (grant && grant->revoked.stop_requested() && !response.isOk()) {
      return fenced("leadership ended while a " + req.method +
                    " was in flight; the server may have acted on it");
    }
    if (!response.isOk() && response.status().code() == Code::kTimeout && fenceBound) {
      return fenced("a " + req.method + " outlived the lease it was sent under");
    }
    return response;
  }

  static Status fenced(std::string message) { return Status(Code::kFenced, std::move(message)); }

  // Waits `d` on the clock. Errors: Cancelled when call.stop is requested
  // first, Timeout when call.deadline would pass first.
  Status sleepFor(Duration d, const CallOptions& call) {
    if (clock_.now() + d > call.deadline) return Status(Code::kTimeout, "call deadline passed");
    if (!ctrl::sleepFor(clock_, d, call.stop)) return Status(Code::kCancelled, "call cancelled");
    return Status::ok();
  }

  // The answer as an object (`shape` of it), or the error it carries.
  StatusOr<Json> decodeObject(StatusOr<HttpResponse> response, ResponseShape shape) const {
    if (!response.isOk()) return response.status();
    if (!isSuccess(response->status)) return client::statusFromResponse(*response);
    const JsonLimits limits{options_.maxResponseBytes, options_.maxJsonDepth + 2};
    const ApiJsonOptions cut{.dropManagedFields = options_.dropManagedFields,
                             .metadataOnly = shape == ResponseShape::kMetadata};
    auto doc = cut.dropManagedFields || cut.metadataOnly ? parseApiJson(response->body, limits, cut)
                                                         : parseJson(response->body, limits);
    if (!doc.isOk()) {
      return Status(Code::kInternal, "unexpected response: " + doc.status().message());
    }
    return doc;
  }

  std::unique_ptr<Transport> transport_;
  const ClientOptions options_;
  Clock& clock_;
  const std::string fieldManager_;
  client::RequestMetrics metrics_;
  std::unique_ptr<TokenBucket> bucket_;
};

}  // namespace

std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config,
                                   const ClientOptions& options) {
  return std::make_unique<ClientImpl>(std::move(transport), config, options);
}

std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config) {
  return makeClient(std::move(transport), config, ClientOptions{});
}

namespace {

// Forwards everything; writes carry the fence. The inner client consults it
// right before sending, after its rate-limit wait.
class FencedClient final : public Client {
 public:
  FencedClient(Client& inner, WriteFence& fence) : inner_(inner), fence_(fence) {}

  StatusOr<Json> get(const Resource& resource, std::string_view ns, std::string_view name,
                     const CallOptions& call) override {
    return inner_.get(resource, ns, name, call);
  }
  StatusOr<ListPage> list(const Resource& resource, std::string_view ns, const ListOptions& options,
                          const CallOptions& call) override {
    return inner_.list(resource, ns, options, call);
  }
  Status watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
               const WatchHandler& handler, std::stop_token stop) override {
    return inner_.watch(resource, ns, options, handler, std::move(stop));
  }
  StatusOr<Json> create(const Resource& resource, std::string_view ns, const Json& object,
                        const WriteOptions& options, const CallOptions& call) override {
    return inner_.create(resource, ns, object, options, fenced(call));
  }
  StatusOr<Json> createSubresource(const Resource& resource, std::string_view ns,
                                   std::string_view name, std::string_view subresource,
                                   const Json& body, const CallOptions& call) override {
    return inner_.createSubresource(resource, ns, name, subresource, body, fenced(call));
  }
  StatusOr<Json> update(const Resource& resource, std::string_view ns, const Json& object,
                        const WriteOptions& options, const CallOptions& call) override {
    return inner_.update(resource, ns, object, options, fenced(call));
  }
  StatusOr<Json> updateStatus(const Resource& resource, std::string_view ns, const Json& object,
                              const CallOptions& call) override {
    return inner_.updateStatus(resource, ns, object, fenced(call));
  }
  StatusOr<Json> patch(const Resource& resource, std::string_view ns, std::string_view name,
                       PatchType type, const Json& patch, const PatchOptions& options,
                       const CallOptions& call) override {
    return inner_.patch(resource, ns, name, type, patch, options, fenced(call));
  }
  StatusOr<Json> createText(const Resource& resource, std::string_view ns, JsonText body,
                            const WriteOptions& options, const CallOptions& call) override {
    return inner_.createText(resource, ns, std::move(body), options, fenced(call));
  }
  StatusOr<Json> patchText(const Resource& resource, std::string_view ns, std::string_view name,
                           PatchType type, JsonText body, const PatchOptions& options,
                           const CallOptions& call) override {
    return inner_.patchText(resource, ns, name, type, std::move(body), options, fenced(call));
  }
  Status remove(const Resource& resource, std::string_view ns, std::string_view name,
                const DeleteOptions& options, const CallOptions& call) override {
    return inner_.remove(resource, ns, name, options, fenced(call));
  }

 private:
  CallOptions fenced(const CallOptions& call) const {
    CallOptions out = call;
    out.fence = &fence_;
    return out;
  }

  Client& inner_;
  WriteFence& fence_;
};

}  // namespace

std::unique_ptr<Client> makeFencedClient(Client& inner, WriteFence& fence) {
  return std::make_unique<FencedClient>(inner, fence);
}

}  // namespace ctrl
