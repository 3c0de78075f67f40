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
#include "controller/resource.h"
#include "controller/status.h"
#include "controller/transport.h"

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

class Reader {
 public:
  virtual ~Reader() = default;
  // GET one object. Errors: NotFound, Forbidden, ...
  virtual StatusOr<Json> get(const Resource& resource, std::string_view ns,
                             std::string_view name) = 0;
  // One page of a LIST; call again with page.continueToken until it is empty.
  // `ns` empty lists across all namespaces. Errors: Gone when a continue token
  // expired (start over).
  virtual StatusOr<ListPage> list(const Resource& resource, std::string_view ns,
                                  const ListOptions& options) = 0;
};

class Writer {
 public:
  virtual ~Writer() = default;
  // POST. Errors: AlreadyExists when the name is taken (create-if-absent is
  // compare-and-swap on the name), Invalid, Forbidden.
  virtual StatusOr<Json> create(const Resource& resource, std::string_view ns, const Json& object,
                                const WriteOptions& options = {}) = 0;
  // POST to a subresource of an existing object (e.g. serviceaccounts/NAME/token).
  virtual StatusOr<Json> createSubresource(const Resource& resource, std::string_view ns,
                                           std::string_view name, std::string_view subresource,
                                           const Json& body) = 0;
  // PUT the whole object. With metadata.resourceVersion set this is
  // compare-and-swap: Conflict when the object changed since it was read.
  virtual StatusOr<Json> update(const Resource& resource, std::string_view ns, const Json& object,
                                const WriteOptions& options = {}) = 0;
  // PUT the status subresource (same precondition rules as update()).
  virtual StatusOr<Json> updateStatus(const Resource& resource, std::string_view ns,
                                      const Json& object) = 0;
  virtual StatusOr<Json> patch(const Resource& resource, std::string_view ns, std::string_view name,
                               PatchType type, const Json& patch,
                               const PatchOptions& options = {}) = 0;
  // DELETE. Errors: NotFound; Conflict when a precondition does not hold.
  virtual Status remove(const Resource& resource, std::string_view ns, std::string_view name,
                        const DeleteOptions& options = {}) = 0;
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
  // TooManyRequests; writes are never retried.
  int maxReadAttempts = 5;
  Duration retryBaseDelay = std::chrono::milliseconds(250);  // doubles per attempt
  Duration maxRetryDelay = std::chrono::seconds(30);         // also caps Retry-After
  std::string fieldManager;             // default for writes; "" = config.userAgent
  size_t maxResponseBytes = 256 << 20;  // one response body (a LIST page)
  int maxJsonDepth = 64;                // of one object
};

// As below, with explicit options (e.g. a FakeClock in tests).
std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config,
                                   const ClientOptions& options);

// Creates a client over `transport` (owned). Applies config.qps/burst as a
// client-side token bucket and counts requests in rest_client_requests_total
// (metrics registry: controller/metrics.h). Retries only idempotent reads on
// Unavailable/TooManyRequests (honouring Retry-After), never writes. The
// client is thread-safe: share one among workers.
std::unique_ptr<Client> makeClient(std::unique_ptr<Transport> transport, const RestConfig& config);

}  // namespace ctrl
