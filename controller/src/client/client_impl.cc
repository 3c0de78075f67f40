// The Client over a Transport: builds targets and bodies, applies the
// client-side rate limit, retries idempotent reads, maps errors, and counts
// requests. Bodies are serialized once and moved, never copied or logged.
#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "client/api_errors.h"
#include "client/query.h"
#include "client/request_metrics.h"
#include "client/type_meta.h"
#include "client/watch_decoder.h"
#include "controller/client.h"
#include "controller/json.h"
#include "controller/rate_limiter.h"

namespace ctrl {
namespace {

constexpr std::string_view kJson = "application/json";

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

  StatusOr<Json> get(const Resource& resource, std::string_view ns,
                     std::string_view name) override {
    if (name.empty()) return Status(Code::kInvalidArgument, "get: empty name");
    return decodeObject(execute(request("GET", resource.path(ns, name)), /*idempotent=*/true));
  }

  StatusOr<ListPage> list(const Resource& resource, std::string_view ns,
                          const ListOptions& options) override {
    client::Query query(resource.path(ns));
    query.add("labelSelector", options.labelSelector)
        .add("fieldSelector", options.fieldSelector)
        .add("continue", options.continueToken)
        .add("resourceVersion", options.resourceVersion);
    if (options.limit > 0) query.add("limit", options.limit);
    auto doc = decodeObject(execute(request("GET", std::move(query).take()), true));
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
                        const WriteOptions& options) override {
    if (ns.empty()) ns = metadataString(object, "namespace");
    client::Query query(resource.path(ns));
    addWriteParams(query, options.dryRun, options.fieldManager);
    return decodeObject(
        execute(request("POST", std::move(query).take(), object.dump(), kJson), false));
  }

  StatusOr<Json> createSubresource(const Resource& resource, std::string_view ns,
                                   std::string_view name, std::string_view subresource,
                                   const Json& body) override {
    if (name.empty() || subresource.empty()) {
      return Status(Code::kInvalidArgument, "createSubresource: empty name or subresource");
    }
    return decodeObject(
        execute(request("POST", resource.path(ns, name, subresource), body.dump(), kJson), false));
  }

  StatusOr<Json> update(const Resource& resource, std::string_view ns, const Json& object,
                        const WriteOptions& options) override {
    return put(resource, ns, object, {}, options);
  }

  StatusOr<Json> updateStatus(const Resource& resource, std::string_view ns,
                              const Json& object) override {
    return put(resource, ns, object, "status", {});
  }

  StatusOr<Json> patch(const Resource& resource, std::string_view ns, std::string_view name,
                       PatchType type, const Json& patch, const PatchOptions& options) override {
    if (name.empty()) return Status(Code::kInvalidArgument, "patch: empty name");
    client::Query query(resource.path(ns, name, options.subresource));
    addWriteParams(query, options.dryRun, options.fieldManager);
    query.addIf(type == PatchType::kApply && options.force, "force", "true");
    // Server-side apply needs kind/apiVersion in the body.
    std::string body =
        type == PatchType::kApply ? client::dumpWithTypeMeta(patch, resource) : patch.dump();
    return decodeObject(execute(
        request("PATCH", std::move(query).take(), std::move(body), contentTypeFor(type)), false));
  }

  Status remove(const Resource& resource, std::string_view ns, std::string_view name,
                const DeleteOptions& options) override {
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
        execute(request("DELETE", resource.path(ns, name), std::move(body), contentType), false);
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

    if (bucket_ && !bucket_->wait(stop)) return Status(Code::kCancelled, "watch stopped");
    client::WatchDecoder decoder(
        resource, JsonLimits{options.maxEventBytes, options_.maxJsonDepth + 1}, handler);
    auto response = transport_->stream(
        req, [&decoder](std::string_view line) { return decoder.onLine(line); }, stop);
    metrics_.count(req.method, response.isOk() ? response->status : 0);
    if (!decoder.error().isOk()) return decoder.error();
    if (!response.isOk()) return response.status();
    if (response->status != 200) return client::statusFromResponse(*response);
    return Status::ok();
  }

 private:
  static HttpRequest request(std::string_view method, std::string target, std::string body = {},
                             std::string_view contentType = {}) {
    HttpRequest req;
    req.method = method;
    req.target = std::move(target);
    req.headers.emplace_back("Accept", kJson);
    if (!contentType.empty()) req.headers.emplace_back("Content-Type", contentType);
    req.body = std::move(body);
    return req;
  }

  void addWriteParams(client::Query& query, bool dryRun, const std::string& fieldManager) const {
    query.addIf(dryRun, "dryRun", "All")
        .add("fieldManager", fieldManager.empty() ? fieldManager_ : fieldManager);
  }

  StatusOr<Json> put(const Resource& resource, std::string_view ns, const Json& object,
                     std::string_view subresource, const WriteOptions& options) {
    std::string_view name = metadataString(object, "name");
    if (name.empty()) return Status(Code::kInvalidArgument, "update: object has no metadata.name");
    if (ns.empty()) ns = metadataString(object, "namespace");
    client::Query query(resource.path(ns, name, subresource));
    addWriteParams(query, options.dryRun, options.fieldManager);
    return decodeObject(
        execute(request("PUT", std::move(query).take(), object.dump(), kJson), false));
  }

  // Sends `req` under the rate limit, counting each attempt. Idempotent
  // requests are retried on Unavailable/TooManyRequests, after the server's
  // Retry-After or an exponential backoff. Returns the last answer.
  StatusOr<HttpResponse> execute(const HttpRequest& req, bool idempotent) {
    const int attempts = idempotent ? std::max(1, options_.maxReadAttempts) : 1;
    Duration backoff = options_.retryBaseDelay;
    for (int attempt = 1;; ++attempt) {
      if (bucket_) bucket_->wait();
      auto response = transport_->send(req);
      metrics_.count(req.method, response.isOk() ? response->status : 0);
      if (attempt >= attempts) return response;
      std::optional<Duration> delay;
      if (!response.isOk()) {
        if (response.status().code() != Code::kUnavailable) return response;
      } else {
        if (isSuccess(response->status)) return response;
        const Code code = client::statusFromResponse(*response).code();
        if (code != Code::kUnavailable && code != Code::kTooManyRequests) return response;
        delay = client::retryAfter(*response);
      }
      sleepFor(std::min(delay.value_or(backoff), options_.maxRetryDelay));
      backoff *= 2;
    }
  }

  void sleepFor(Duration d) {
    std::mutex mu;
    std::condition_variable cv;
    std::unique_lock lock(mu);
    const MonoTime deadline = clock_.now() + d;
    clock_.waitUntil(lock, cv, deadline, [&] { return clock_.now() >= deadline; });
  }

  StatusOr<Json> decodeObject(StatusOr<HttpResponse> response) const {
    if (!response.isOk()) return response.status();
    if (!isSuccess(response->status)) return client::statusFromResponse(*response);
    auto doc =
        parseJson(response->body, JsonLimits{options_.maxResponseBytes, options_.maxJsonDepth + 2});
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

}  // namespace ctrl
