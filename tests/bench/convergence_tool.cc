// st-bench: the client side of hack/bench-convergence.sh. Its commands, each
// against the cluster of $KUBECONFIG through the project's own client:
//
//   create  NS N WRITERS   creates ServiceTokens t00001..tN in NS (the backlog)
//   floor   NS N WRITERS   the floor: for each token of NS, exactly the writes a
//                          first mint makes (one Secret create, one status
//                          merge patch), from WRITERS threads, no watches, no
//                          signing (the Secret carries a placeholder of a
//                          token's length, never a token)
//   floor-watched NS N WRITERS
//                          the floor while two watches read what the operator
//                          watches (the tokens of NS, and its token Secrets by
//                          the operator's label selector), events decoded by
//                          the client and dropped: what the API server's
//                          watch fan-out alone costs the floor
//   floor-io NS N WRITERS  floor-watched plus, per token, the Minted Event the
//                          operator records (built as its recorder builds
//                          it): all of the operator's I/O through the same
//                          client, none of its logic, no signing. Its CPU is
//                          what that I/O alone costs on these cores.
//   floor-raw NS N WRITERS the floor's writes with each body written straight
//                          into text (the floor's own bodies, made once as a
//                          template, with each token's name and uid put in)
//                          and sent through the Transport itself, answers
//                          checked by status code and never parsed: its CPU
//                          against the floor's is what building, writing
//                          and parsing JSON trees costs the write path
//   floor-io-raw NS N WRITERS
//                          floor-io in the design without JSON trees: the
//                          writes of floor-raw, each token's Minted Event from
//                          a template of the same kind, and the two watches
//                          read through the Transport, each event parsed by
//                          simdjson and read for its resourceVersion: the
//                          operator's I/O alone in that design
//   observe NS N CSV       LIST then WATCH the tokens of NS and append
//                          "epoch-seconds,name" to CSV when each first shows
//                          phase Active; prints "ready" once watching and
//                          exits when N are Active
//
// Prints figures and errors; it never judges them.
#include <simdjson.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

#include "api/codec.h"
#include "api/types.h"
#include "client/media_types.h"
#include "client/query.h"
#include "controller/client.h"
#include "controller/object_meta.h"
#include "controller/rest_config.h"
#include "controller/transport.h"
#include "events/event_builder.h"
#include "servicetoken/authority.h"
#include "servicetoken/secret_builder.h"

namespace {

using ctrl::Json;

// This process's CPU (user + system) so far, in seconds.
double cpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

double epochSeconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

ctrl::RestConfig benchConfig() {
  auto config = ctrl::loadKubeconfig({});
  if (!config.isOk()) {
    std::cerr << "st-bench: " << config.status().toString() << "\n";
    std::exit(2);
  }
  config->userAgent = "st-bench";
  return std::move(config).value();
}

std::unique_ptr<ctrl::Transport> makeBenchTransport(const ctrl::RestConfig& config) {
  auto transport = ctrl::makeTransport(config);
  if (!transport.isOk()) {
    std::cerr << "st-bench: " << transport.status().toString() << "\n";
    std::exit(2);
  }
  return std::move(transport).value();
}

std::unique_ptr<ctrl::Client> makeBenchClient() {
  const ctrl::RestConfig config = benchConfig();
  return ctrl::makeClient(makeBenchTransport(config), config);
}

std::string tokenName(int i) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "t%05d", i);
  return buf;
}

// Runs work(i) for i in [0, n) on `writers` threads; returns the failures.
template <typename F>
int parallel(int n, int writers, F work) {
  std::atomic<int> next{0}, failed{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&] {
      for (int i; (i = next.fetch_add(1)) < n;) {
        if (!work(i)) failed.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  return failed.load();
}

int create(ctrl::Client& client, const std::string& ns, int n, int writers) {
  const double start = epochSeconds();
  int failed = parallel(n, writers, [&](int i) {
    const std::string name = tokenName(i + 1);
    Json token = {{"apiVersion", "servicetoken.dev/v1alpha1"},
                  {"kind", "ServiceToken"},
                  {"metadata", {{"name", name}, {"namespace", ns}}},
                  {"spec",
                   {{"displayName", "Token " + name},
                    {"type", "Service"},
                    {"serviceUserRef", {{"name", "bench"}}},
                    {"expiration", "90d"}}}};
    auto made = client.create(st::serviceTokenResource(), ns, token);
    if (!made.isOk() && made.status().code() != ctrl::Code::kAlreadyExists) {
      std::cerr << "st-bench: creating " << name << ": " << made.status().toString() << "\n";
      return false;
    }
    return true;
  });
  std::printf("created %d ServiceTokens in %.1f s (%d failed)\n", n, epochSeconds() - start,
              failed);
  return failed == 0 ? 0 : 1;
}

// Every ServiceToken of `ns`, decoded, over paged LISTs.
std::vector<st::ServiceToken> listTokens(ctrl::Client& client, const std::string& ns) {
  std::vector<st::ServiceToken> out;
  ctrl::ListOptions options;
  do {
    auto page = client.list(st::serviceTokenResource(), ns, options);
    if (!page.isOk()) {
      std::cerr << "st-bench: listing: " << page.status().toString() << "\n";
      std::exit(2);
    }
    for (const auto& item : *page->items) {
      auto token = st::decodeServiceToken(item);
      if (token.isOk()) out.push_back(std::move(token).value());
    }
    options.continueToken = page->continueToken;
  } while (!options.continueToken.empty());
  return out;
}

// What the floor writes for `t`: the Secret (built by the operator's own
// builder, with a placeholder the length of an EdDSA token, never a token)
// and the status of a first mint.
struct FloorWrites {
  st::IssuedToken minted;
  ctrl::JsonText secret;
  ctrl::JsonText status;  // the merge patch
};

FloorWrites floorWrites(const st::ServiceToken& t) {
  const auto now = std::chrono::system_clock::now();
  FloorWrites w;
  w.minted.value = st::SecretString(std::string(420, 'x'));
  w.minted.tokenId = "floor-" + t.meta.uid;
  w.minted.tokenHash = "sha256:" + std::string(64, '0');
  w.minted.issuedAt = now;
  w.minted.expiresAt = now + std::chrono::hours(24 * 90);
  st::SecretContent content;
  content.token = &t;
  content.minted = &w.minted;
  content.subject = "bench-user-id";
  content.serviceUserUid = "bench-user-uid";
  content.revision = 1;
  content.specHash = std::string(16, 'a');
  w.secret = st::newTokenSecret(content).value();
  st::ServiceTokenStatus status;
  status.phase = "Active";
  status.observedGeneration = t.meta.generation;
  status.serviceUserId = "bench-user-id";
  status.secretName = t.secretName();
  status.expiration = "90d";
  status.tokenId = w.minted.tokenId;
  status.tokenHash = w.minted.tokenHash;
  status.issuedAt = ctrl::formatRfc3339(now);
  status.expiresAt = ctrl::formatRfc3339(*w.minted.expiresAt);
  status.renewalTime = ctrl::formatRfc3339(now + std::chrono::hours(24 * 60));
  status.revision = 1;
  for (const char* type : {"Ready", "Issued"}) {
    status.conditions.push_back({type, "True", "Minted", "The token was minted", t.meta.generation,
                                 ctrl::formatRfc3339(now)});
  }
  w.status = st::statusPatch(status).value();
  return w;
}

// The Minted Event of `t`, named `name`, as the operator's recorder builds it
// (reconciler.cc, async_event_recorder.cc): one new Event, count 1.
ctrl::ObjectRef regardingOf(const st::ServiceToken& t) {
  return {"ServiceToken", "servicetoken.dev/v1alpha1", t.meta.namespace_, t.meta.name,
          t.meta.uid,     t.meta.resourceVersion};
}

ctrl::JsonText mintedEvent(const st::ServiceToken& t, const std::string& tokenId,
                           const std::string& name, ctrl::WallTime now) {
  ctrl::EventFields fields;
  fields.regarding = regardingOf(t);
  fields.reason = "Minted";
  fields.action = "IssueToken";
  fields.note =
      ctrl::truncateNote("Minted token " + tokenId + " (revision 1) into Secret " + t.secretName());
  return ctrl::buildEvent(fields, name, "servicetoken.dev/operator", "st-bench", now, 1, now)
      .value();
}

// Sends the Minted Event of `t` through the client.
bool recordMinted(ctrl::Client& client, const st::ServiceToken& t, const std::string& tokenId) {
  const auto now = std::chrono::system_clock::now();
  static std::atomic<uint32_t> sequence{0};
  const ctrl::ObjectRef regarding = regardingOf(t);
  const std::string name = ctrl::eventName(regarding, now, sequence.fetch_add(1));
  auto made = client.createText(ctrl::resources::event(), ctrl::eventNamespace(regarding),
                                mintedEvent(t, tokenId, name, now), {}, ctrl::metadataOnlyAnswer());
  if (!made.isOk()) {
    std::cerr << "st-bench: creating the Event of " << t.meta.name << ": "
              << made.status().toString() << "\n";
  }
  return made.isOk();
}

// The first `n` tokens of `ns`; exits when there are fewer.
std::vector<st::ServiceToken> backlogOf(ctrl::Client& client, const std::string& ns, int n) {
  auto tokens = listTokens(client, ns);
  if (static_cast<int>(tokens.size()) < n) {
    std::cerr << "st-bench: " << tokens.size() << " tokens in " << ns << ", expected " << n << "\n";
    std::exit(2);
  }
  tokens.resize(n);
  return tokens;
}

// The floor's writes for the first `n` tokens of `ns`; with `events`, each
// token's Minted Event too.
int floor(ctrl::Client& client, const std::string& ns, int n, int writers, bool events = false) {
  const auto tokens = backlogOf(client, ns, n);
  const double start = epochSeconds();
  int failed = parallel(n, writers, [&](int i) {
    const st::ServiceToken& t = tokens[i];
    FloorWrites w = floorWrites(t);
    // As the operator asks: only the answer's metadata (issuer.cc).
    auto made = client.createText(ctrl::resources::secret(), ns, std::move(w.secret), {},
                                  ctrl::metadataOnlyAnswer());
    if (!made.isOk()) {
      std::cerr << "st-bench: creating the Secret of " << t.meta.name << ": "
                << made.status().toString() << "\n";
      return false;
    }
    ctrl::PatchOptions options;
    options.subresource = "status";
    auto patched =
        client.patchText(st::serviceTokenResource(), ns, t.meta.name, ctrl::PatchType::kMerge,
                         std::move(w.status), options, ctrl::metadataOnlyAnswer());
    if (!patched.isOk()) {
      std::cerr << "st-bench: patching the status of " << t.meta.name << ": "
                << patched.status().toString() << "\n";
      return false;
    }
    return !events || recordMinted(client, t, w.minted.tokenId);
  });
  std::printf("floor: %d tokens, %d writes each, %d writers: %.2f s (%d failed)\n", n,
              events ? 3 : 2, writers, epochSeconds() - start, failed);
  return failed == 0 ? 0 : 1;
}

// A JSON text made once, with each placeholder (a key such as "@@NAME@@")
// replaced by a value per use: a body written straight into text, without a
// tree.
class TextTemplate {
 public:
  TextTemplate(const std::string& text, std::vector<std::string_view> keys) {
    size_t from = 0;
    for (;;) {
      size_t at = std::string::npos, which = 0;
      for (size_t k = 0; k < keys.size(); ++k) {
        const size_t found = text.find(keys[k], from);
        if (found < at) at = found, which = k;
      }
      parts_.push_back(text.substr(from, at == std::string::npos ? std::string::npos : at - from));
      if (at == std::string::npos) break;
      holes_.push_back(which);
      from = at + keys[which].size();
    }
  }

  // `values` in the order of the keys. The API's names, uids and
  // resourceVersions need no JSON escaping.
  std::string fill(std::initializer_list<std::string_view> values) const {
    const std::string_view* v = values.begin();
    std::string out = parts_[0];
    for (size_t i = 0; i < holes_.size(); ++i) {
      out += v[holes_[i]];
      out += parts_[i + 1];
    }
    return out;
  }

 private:
  std::vector<std::string> parts_;
  std::vector<size_t> holes_;  // the index of each hole's key
};

constexpr std::string_view kNameKey = "@@NAME@@", kUidKey = "@@UID@@", kVersionKey = "@@RV@@",
                           kEventKey = "@@EVENT@@";

// Sends one write through the Transport, as the client sends a write that
// asks for a metadata-only answer; the answer is checked by its status code
// and never parsed.
bool sendRaw(ctrl::Transport& transport, const char* method, std::string target, std::string body,
             std::string_view contentType, const std::string& what) {
  ctrl::HttpRequest req;
  req.method = method;
  req.target = std::move(target);
  req.headers = {{"Accept", std::string(ctrl::client::kMetadataJson)},
                 {"Content-Type", std::string(contentType)}};
  req.body = std::move(body);
  auto answer = transport.send(req);
  if (!answer.isOk() || answer->status / 100 != 2) {
    std::cerr << "st-bench: " << what << ": "
              << (answer.isOk() ? "HTTP " + std::to_string(answer->status)
                                : answer.status().toString())
              << "\n";
    return false;
  }
  return true;
}

// Watches `resource` in `ns` through the Transport until `stop`, as
// drainWatch() does, with each event parsed by simdjson and read for the
// resourceVersion to resume from, never built into a tree. Counts the
// events in `events`.
void drainWatchRaw(ctrl::Transport& transport, const ctrl::Resource& resource,
                   const std::string& ns, const std::string& selector, std::atomic<long>& events,
                   std::stop_token stop) {
  simdjson::dom::parser parser;
  std::string resourceVersion;
  while (!stop.stop_requested()) {
    ctrl::HttpRequest req;
    ctrl::client::Query query(resource.path(ns));
    query.add("watch", "1")
        .add("resourceVersion", resourceVersion)
        .add("labelSelector", selector)
        .add("allowWatchBookmarks", "true")
        .add("timeoutSeconds", 600);
    req.target = std::move(query).take();
    req.headers = {{"Accept", std::string(ctrl::client::kJson)}};
    req.timeout = std::chrono::seconds(630);
    bool restart = false;
    auto s = transport.stream(
        req,
        [&](std::string_view line) {
          simdjson::dom::element event;
          if (parser.parse(line.data(), line.size()).get(event) != simdjson::SUCCESS) {
            restart = true;
            return false;
          }
          std::string_view type, version;
          if (event["type"].get(type) != simdjson::SUCCESS || type == "ERROR") {
            restart = true;  // e.g. 410 Gone: start over
            return false;
          }
          if (event["object"]["metadata"]["resourceVersion"].get(version) == simdjson::SUCCESS) {
            resourceVersion = version;
          }
          if (type != "BOOKMARK") ++events;
          return !stop.stop_requested();
        },
        stop);
    if (restart || (!s.isOk() && !stop.stop_requested()) || (s.isOk() && s->status != 200)) {
      if (!restart) std::cerr << "st-bench: raw watch of " << resource.plural << " ended\n";
      resourceVersion.clear();
    }
  }
}

// The floor's writes, each body from a TextTemplate, sent through the
// Transport. With `io`, the operator's I/O alone in that design: its two
// watches too (drainWatchRaw), and each token's Minted Event from a template.
int floorRaw(ctrl::Client& client, ctrl::Transport& transport, const std::string& ns, int n,
             int writers, bool io) {
  const auto tokens = backlogOf(client, ns, n);
  st::ServiceToken placeholder = tokens[0];
  placeholder.meta.name = std::string(kNameKey);
  placeholder.meta.uid = std::string(kUidKey);
  placeholder.meta.resourceVersion = std::string(kVersionKey);
  const FloorWrites shape = floorWrites(placeholder);
  const TextTemplate secret(shape.secret.text, {kNameKey, kUidKey}),
      status(shape.status.text, {kNameKey, kUidKey}),
      event(mintedEvent(placeholder, shape.minted.tokenId, std::string(kEventKey),
                        std::chrono::system_clock::now())
                .text,
            {kNameKey, kUidKey, kVersionKey, kEventKey});
  const std::string secrets = ctrl::resources::secret().path(ns) + "?fieldManager=st-bench";
  const std::string eventsPath = ctrl::resources::event().path(ns) + "?fieldManager=st-bench";
  std::atomic<long> tokenEvents{0}, secretEvents{0};
  std::atomic<uint32_t> sequence{0};
  std::optional<std::jthread> tokenWatch, secretWatch;
  if (io) {
    tokenWatch.emplace([&](std::stop_token stop) {
      drainWatchRaw(transport, st::serviceTokenResource(), ns, "", tokenEvents, stop);
    });
    secretWatch.emplace([&](std::stop_token stop) {
      drainWatchRaw(transport, ctrl::resources::secret(), ns, st::tokenSecretSelector(),
                    secretEvents, stop);
    });
  }
  const double start = epochSeconds();
  int failed = parallel(n, writers, [&](int i) {
    const st::ServiceToken& t = tokens[i];
    const std::string& name = t.meta.name;
    if (!sendRaw(transport, "POST", secrets, secret.fill({name, t.meta.uid}), ctrl::client::kJson,
                 "creating the Secret of " + name) ||
        !sendRaw(transport, "PATCH",
                 st::serviceTokenResource().path(ns, name, "status") + "?fieldManager=st-bench",
                 status.fill({name, t.meta.uid}), "application/merge-patch+json",
                 "patching the status of " + name)) {
      return false;
    }
    if (!io) return true;
    const std::string eventName =
        ctrl::eventName(regardingOf(t), std::chrono::system_clock::now(), sequence.fetch_add(1));
    return sendRaw(transport, "POST", eventsPath,
                   event.fill({name, t.meta.uid, t.meta.resourceVersion, eventName}),
                   ctrl::client::kJson, "creating the Event of " + name);
  });
  std::printf("%s: %d tokens, %d writes each, %d writers: %.2f s (%d failed)\n",
              io ? "floor-io-raw" : "floor-raw", n, io ? 3 : 2, writers, epochSeconds() - start,
              failed);
  tokenWatch.reset();
  secretWatch.reset();
  if (io) {
    std::printf("floor-io-raw: %ld token and %ld Secret watch events\n", tokenEvents.load(),
                secretEvents.load());
  }
  return failed == 0 ? 0 : 1;
}

// Watches `resource` in `ns` until `stop`, dropping every event, and resumes
// a watch the server ends. The first watch has no resourceVersion, so the
// server sends every existing object first, as the operator's initial LIST
// reads them. Counts the events in `events`.
void drainWatch(ctrl::Client& client, const ctrl::Resource& resource, const std::string& ns,
                const std::string& selector, std::atomic<long>& events, std::stop_token stop) {
  std::string resourceVersion;
  while (!stop.stop_requested()) {
    ctrl::WatchOptions options;
    options.resourceVersion = resourceVersion;
    options.labelSelector = selector;
    options.allowBookmarks = true;
    options.timeoutSeconds = 600;
    auto s = client.watch(
        resource, ns, options,
        [&](const ctrl::WatchEvent& e) {
          if (e.type == ctrl::WatchEventType::kError) {
            resourceVersion.clear();  // e.g. 410 Gone: start over
            return false;
          }
          if (e.object != nullptr && e.object->contains("metadata")) {
            resourceVersion = (*e.object)["metadata"].value("resourceVersion", resourceVersion);
          }
          if (e.type != ctrl::WatchEventType::kBookmark) ++events;
          return !stop.stop_requested();
        },
        stop);
    if (!s.isOk() && s.code() != ctrl::Code::kCancelled && !stop.stop_requested()) {
      std::cerr << "st-bench: watch of " << resource.plural << " ended: " << s.toString() << "\n";
      resourceVersion.clear();  // from now, again
    }
  }
}

// The floor with the operator's two watches open all along (and with
// `events`, its Events too).
int floorWatched(ctrl::Client& client, const std::string& ns, int n, int writers,
                 bool events = false) {
  std::atomic<long> tokenEvents{0}, secretEvents{0};
  const std::string selector = st::tokenSecretSelector();
  int result = 0;
  {
    std::jthread tokens([&](std::stop_token stop) {
      drainWatch(client, st::serviceTokenResource(), ns, "", tokenEvents, stop);
    });
    std::jthread secrets([&](std::stop_token stop) {
      drainWatch(client, ctrl::resources::secret(), ns, selector, secretEvents, stop);
    });
    result = floor(client, ns, n, writers, events);
  }
  std::printf("floor-watched: %ld token and %ld Secret watch events\n", tokenEvents.load(),
              secretEvents.load());
  return result;
}

bool isActive(const Json& object) {
  auto status = object.find("status");
  if (status == object.end() || !status->is_object()) return false;
  auto phase = status->find("phase");
  return phase != status->end() && phase->is_string() && *phase == "Active";
}

int observe(ctrl::Client& client, const std::string& ns, int n, const std::string& csvPath) {
  std::ofstream csv(csvPath, std::ios::app);
  std::unordered_set<std::string> active;
  auto see = [&](const Json& object) {
    if (!isActive(object)) return;
    std::string name = object["metadata"].value("name", "");
    if (active.insert(name).second) {
      csv << std::fixed << epochSeconds() << "," << name << "\n";
    }
  };
  ctrl::ListOptions listOptions;
  std::string resourceVersion;
  do {
    auto page = client.list(st::serviceTokenResource(), ns, listOptions);
    if (!page.isOk()) {
      std::cerr << "st-bench: listing: " << page.status().toString() << "\n";
      return 2;
    }
    for (const auto& item : *page->items) see(item);
    resourceVersion = page->resourceVersion;
    listOptions.continueToken = page->continueToken;
  } while (!listOptions.continueToken.empty());
  std::cout << "ready" << std::endl;
  while (static_cast<int>(active.size()) < n) {
    ctrl::WatchOptions options;
    options.resourceVersion = resourceVersion;
    options.timeoutSeconds = 600;
    auto s = client.watch(st::serviceTokenResource(), ns, options,
                          [&](const ctrl::WatchEvent& e) {
                            if (e.type == ctrl::WatchEventType::kError) return false;
                            if (e.object != nullptr && e.object->contains("metadata")) {
                              resourceVersion =
                                  (*e.object)["metadata"].value("resourceVersion", resourceVersion);
                              if (e.type != ctrl::WatchEventType::kBookmark) see(*e.object);
                            }
                            return static_cast<int>(active.size()) < n;
                          },
                          {});
    if (!s.isOk() && s.code() != ctrl::Code::kCancelled) {
      std::cerr << "st-bench: watch ended: " << s.toString() << "\n";
      return 2;
    }
  }
  csv.flush();
  std::printf("all %d Active at %.3f\n", n, epochSeconds());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: st-bench create|floor|floor-watched|floor-io|floor-raw|floor-io-raw "
                 "NAMESPACE N WRITERS | observe "
                 "NAMESPACE N CSV\n";
    return 2;
  }
  const std::string command = argv[1], ns = argv[2];
  const int n = std::atoi(argv[3]);
  auto client = makeBenchClient();
  if (command == "create") return create(*client, ns, n, std::atoi(argv[4]));
  if (command == "observe") return observe(*client, ns, n, argv[4]);
  int result = -1;
  if (command == "floor") result = floor(*client, ns, n, std::atoi(argv[4]));
  if (command == "floor-watched") result = floorWatched(*client, ns, n, std::atoi(argv[4]));
  if (command == "floor-io") result = floorWatched(*client, ns, n, std::atoi(argv[4]), true);
  if (command == "floor-raw" || command == "floor-io-raw") {
    auto transport = makeBenchTransport(benchConfig());
    result = floorRaw(*client, *transport, ns, n, std::atoi(argv[4]), command == "floor-io-raw");
  }
  if (result >= 0) {
    // From the start of the process: the LIST of the backlog included, as
    // the operator's CPU includes its initial LIST.
    std::printf("cpu: %.2f s (user+system)\n", cpuSeconds());
    return result;
  }
  std::cerr << "st-bench: unknown command " << command << "\n";
  return 2;
}
