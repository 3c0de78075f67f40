// A typed-by-resource Kubernetes API client over JSON objects, in the spirit of
// controller-runtime's client: read and write capabilities are separate
// interfaces, so code that only reads takes a Reader and the compiler proves it
// cannot write.
//
// Errors map the API's Status bodies to codes (controller/status.h): NotFound,
// AlreadyExists, Conflict, Gone, Unauthorized, Forbidden, Invalid,
// TooManyRequests, Unavailable, Timeout. Messages are the server's own message
// (which names the offending field for Invalid); a message never contains a
// request or response body beyond that.
//
// Every call takes CallOptions last (default: no cancellation, the client's
// own request timeout): a stop token and a deadline that bound the whole call,
// rate-limit wait and retries included, (writes) a WriteFence, and how much
// of an answered object to build. Pass the reconcile's stop token so shutdown
// and lost leadership end calls at once.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <stop_token>
#include <string>
#include <string_view>

#include "controller/clock.h"
#include "controller/json_writer.h"
#include "controller/resource.h"
#include "controller/status.h"
#include "controller/transport.h"
#include "controller/write_fence.h"

namespace ctrl {

using Json = nlohmann::json;

struct ListOptions {
  std::string labelSelector;
  std::string fieldSelector;
  int64_t limit = 500;          // page size; 0 = no paging
  std::string continueToken;    // from the previous page
  std::string resourceVersion;  // "" = most recent (quorum read)
};

struct ListPage {
  std::unique_ptr<Json> items;  // a JSON array of objects, each with kind/apiVersion filled in
  std::string resourceVersion;  // of the list
  std::string continueToken;    // "" on the last page
};

struct WriteOptions {
  bool dryRun = false;       // dryRun=All
  std::string fieldManager;  // defaults to the client's
};

enum class PatchType {
  kMerge,  // application/merge-patch+json (RFC 7386); works for custom resources
  kJson,   // application/json-patch+json (RFC 6902)
  kApply,  // server-side apply, application/apply-patch+yaml (JSON is valid YAML)
};

struct PatchOptions {
  std::string subresource;  // "" or "status"
  bool force = false;       // server-side apply: take ownership of conflicting fields
  bool dryRun = false;
  std::string fieldManager;
};

struct DeleteOptions {
  std::optional<std::string> preconditionUid;
  std::optional<std::string> preconditionResourceVersion;
  std::string propagationPolicy;  // "", "Foreground", "Background", "Orphan"
};

// What a call that returns one object builds of the API's answer.
enum class ResponseShape {
  kFull,  // the whole object (less managedFields when ClientOptions::dropManagedFields)
  // apiVersion, kind and metadata only (managedFields as kFull has it): the
  // rest is checked as JSON, with the same errors as kFull, but never built.
  // The API server is asked for PartialObjectMetadata (it then sends only
  // the metadata, and kind/apiVersion say PartialObjectMetadata and
  // meta.k8s.io/v1); one that cannot sends the object. For a caller that
  // needs only the new resourceVersion or uid of what it wrote, or nothing.
  kMetadata,
};

// Controls of one call, the last argument of every Reader and Writer method.
struct CallOptions {
  // Requesting stop ends the call at once, also while it waits for the rate
  // limiter, for a retry or for the answer: Cancelled. A write abandoned this
  // way may still have been executed by the server.
  std::stop_token stop;
  // The call must have ended by then (on the client's clock): Timeout when it
  // passes. max(): only the client's per-request timeout applies. A retry is
  // not started when its delay would end past the deadline.
  MonoTime deadline = MonoTime::max();
  // Writes only; null = unfenced. Consulted immediately before each write is
  // sent (see write_fence.h): kFenced, unsent, when it refuses; a write in
  // flight when it closes is abandoned with kFenced. makeFencedClient() sets
  // it; reads ignore it.
  WriteFence* fence = nullptr;
  // What get, create, createSubresource, update, updateStatus and patch
  // return of the answer; list ignores it (a page is always whole), and
  // remove and watch have no such answer.
  ResponseShape response = ResponseShape::kFull;
};

// CallOptions for a write whose caller reads only the metadata of the answer
// (ResponseShape::kMetadata), with no stop token, deadline or fence.
inline CallOptions metadataOnlyAnswer() {
  CallOptions call;
  call.response = ResponseShape::kMetadata;
  return call;
}

class Reader {
 public:
  virtual ~Reader() = default;
  // GET one object. Errors: NotFound, Forbidden, ...
  virtual StatusOr<Json> get(const Resource& resource, std::string_view ns, std::string_view name,
                             const CallOptions& call = {}) = 0;
  // One page of a LIST; call again with page.continueToken until it is empty.
  // `ns` empty lists across all namespaces. Errors: Gone when a continue token
  // expired (start over).
  virtual StatusOr<ListPage> list(const Resource& resource, std::string_view ns,
                                  const ListOptions& options, const CallOptions& call = {}) = 0;
};

// Every write may also fail with Fenced (CallOptions::fence). A write is
// sent again only when the server refused it with HTTP 429 (API Priority and
// Fairness and the max-in-flight filter reject before executing anything),
// never after any other failure.
class Writer {
 public:
  virtual ~Writer() = default;
  // POST. Errors: AlreadyExists when the name is taken (create-if-absent is
  // compare-and-swap on the name), Invalid, Forbidden.
  virtual StatusOr<Json> create(const Resource& resource, std::string_view ns, const Json& object,
                                const WriteOptions& options = {}, const CallOptions& call = {}) = 0;
  // POST to a subresource of an existing object (e.g. serviceaccounts/NAME/token).
  virtual StatusOr<Json> createSubresource(const Resource& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const Json& body, const CallOptions& call = {}) = 0;
  // PUT the whole object. With metadata.resourceVersion set this is
  // compare-and-swap: Conflict when the object changed since it was read.
  virtual StatusOr<Json> update(const Resource& resource, std::string_view ns, const Json& object,
                                const WriteOptions& options = {}, const CallOptions& call = {}) = 0;
  // PUT the status subresource (same precondition rules as update()).
  virtual StatusOr<Json> updateStatus(const Resource& resource, std::string_view ns,
                                      const Json& object, const CallOptions& call = {}) = 0;
  virtual StatusOr<Json> patch(const Resource& resource, std::string_view ns, std::string_view name,
                               PatchType type, const Json& patch, const PatchOptions& options = {},
                               const CallOptions& call = {}) = 0;
  // create() and patch() with a body already written as text (JsonWriter):
  // sent as is, moved, never parsed or copied. Same errors and CallOptions.
  // create: `ns` is not read from the text, so pass it ("" only for a
  // cluster-scoped resource). patch with PatchType::kApply: the text must
  // carry apiVersion and kind itself.
  // These defaults parse the text and call create()/patch() above, for
  // implementations that keep objects (fakes); the client overrides them.
  virtual StatusOr<Json> createText(const Resource& resource, std::string_view ns, JsonText body,
                                    const WriteOptions& options = {}, const CallOptions& call = {});
  virtual StatusOr<Json> patchText(const Resource& resource, std::string_view ns,
                                   std::string_view name, PatchType type, JsonText body,
                                   const PatchOptions& options = {}, const CallOptions& call = {});
  // DELETE. Errors: NotFound; Conflict when a precondition does not hold.
  virtual Status remove(const Resource& resource, std::string_view ns, std::string_view name,
                        const DeleteOptions& options = {}, const CallOptions& call = {}) = 0;
};

enum class WatchEventType { kAdded, kModified, kDeleted, kBookmark, kError };

struct WatchEvent {
  WatchEventType type;
  Json* object;  // valid only during the handler call; for kError, a Status object
};

struct WatchOptions {
  std::string resourceVersion;  // start after this version
  std::string labelSelector;
  std::string fieldSelector;
  bool allowBookmarks = true;
  int timeoutSeconds = 300;  // server-side; the stream ends cleanly after it
  // Hard cap on one event's size (bytes) and JSON nesting depth; a larger
  // event ends the watch with InvalidArgument.
  size_t maxEventBytes = 8 << 20;
};

// Return false to stop watching.
using WatchHandler = std::function<bool(const WatchEvent& event)>;

class Watcher {
 public:
  virtual ~Watcher() = default;
  // Streams events until the server closes the stream (OK), the handler returns
  // false or `stop` is requested (Cancelled), or an error: Gone when the
  // server answers 410 before streaming; other codes as for requests.
  // A watch ERROR event is delivered to the handler as kError (the caller
  // decides; an ERROR with code 410 means "relist"). Blocks this thread.
  virtual Status watch(const Resource& resource, std::string_view ns, const WatchOptions& options,
                       const WatchHandler& handler, std::stop_token stop) = 0;
};

class Client : public Reader, public Writer, public Watcher {};

struct ClientOptions {
  // For rate limiting and retry delays; must outlive the client. nullptr: RealClock.
  Clock* clock = nullptr;
  // Attempts for an idempotent read (GET, LIST) answered Unavailable or
  // TooManyRequests, and for a write answered 429; other failed writes are
  // never retried.
  int maxReadAttempts = 5;
  Duration retryBaseDelay = std::chrono::milliseconds(250);  // doubles per attempt
  Duration maxRetryDelay = std::chrono::seconds(30);         // also caps Retry-After
  std::string fieldManager;  // default for writes; "" = config.userAgent
  // One response body (a LIST page): the transport stops reading past it.
  size_t maxResponseBytes = 256 << 20;
  int maxJsonDepth = 64;  // of one object
  // One HTTP exchange (CallOptions::deadline and a WriteGrant can shorten it).
  Duration requestTimeout = std::chrono::seconds(30);
  // Leave metadata.managedFields (server-side apply's bookkeeping) out of
  // every object the client returns or hands to a watch (parseApiJson): for
  // processes that decode objects into typed structs and never read it,
  // which saves a third to a half of the parsing. Off: objects as sent.
  bool dropManagedFields = false;
};

// As below, with explicit options (e.g. a FakeClock in tests).
std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config,
                                   const ClientOptions& options);

// Creates a client over `transport` (owned). Applies config.qps/burst as a
// client-side token bucket and counts requests in rest_client_requests_total
// (metrics registry: controller/metrics.h). Retries idempotent reads on
// Unavailable/TooManyRequests and writes only on HTTP 429 (honouring
// Retry-After). The client is thread-safe: share one among workers.
std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config);

// A view of `inner` (not owned; must outlive the view) whose writes are
// fenced: each write passes `fence` (must outlive the view) to `inner` in
// CallOptions::fence, overriding the caller's. Reads and watches go to
// `inner` unchanged. Give it to leader-only code (reconcilers, their event
// recorder), never to the leader elector itself, whose Lease writes must not
// wait for the leadership they establish. Thread-safe as `inner` is.
std::unique_ptr<Client> makeFencedClient(Client& inner, WriteFence& fence);

}  // namespace ctrl
