// The informer against a real kube-apiserver + etcd: event order of one
// object, a relist after etcd compaction made the watch's resourceVersion
// expire (410), and reconnecting after the API server went away. Every wait is
// a condition with a deadline; the informer runs on the real clock.
#include "controller/informer.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "admin_client.h"
#include "control_plane.h"
#include "controller/client.h"
#include "controller/object_meta.h"
#include "controller/resource.h"
#include "controller/transport.h"

namespace {

using namespace std::chrono_literals;
using ctrl::Code;
using ctrl::Json;
using ctrl::Status;

// The compact typed form the informer caches.
struct ConfigMapLite {
  ctrl::ObjectMeta meta;
  std::map<std::string, std::string> data;
};

ctrl::StatusOr<ConfigMapLite> decodeConfigMap(const Json& j) {
  auto meta = ctrl::decodeObjectMetaOf(j);
  if (!meta.isOk()) return meta.status();
  ConfigMapLite cm{std::move(meta).value(), {}};
  if (auto it = j.find("data"); it != j.end() && it->is_object()) {
    for (const auto& [k, v] : it->items()) {
      if (!v.is_string()) return Status(Code::kInvalidArgument, "data: expected strings");
      cm.data.emplace(k, v.get<std::string>());
    }
  }
  return cm;
}

const ctrl::Resource& cms() { return ctrl::resources::configMap(); }

Json configMap(const std::string& name, const std::string& value) {
  return {{"apiVersion", "v1"},
          {"kind", "ConfigMap"},
          {"metadata", {{"name", name}}},
          {"data", {{"v", value}}}};
}

// Forwards to a real watcher, and lets the test cut the running watch and
// hold back new ones (close) until open(). Records each watch's requested
// resourceVersion and how it ended, and counts 410s (HTTP or ERROR event).
class GatedWatcher final : public ctrl::Watcher {
 public:
  explicit GatedWatcher(ctrl::Watcher& inner) : inner_(inner) {}

  Status watch(const ctrl::Resource& resource, std::string_view ns,
               const ctrl::WatchOptions& options, const ctrl::WatchHandler& handler,
               std::stop_token stop) override {
    std::stop_callback wake(stop, [this] {
      std::lock_guard lock(mu_);
      cv_.notify_all();
    });
    std::shared_ptr<std::stop_source> local;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return open_ || stop.stop_requested(); });
      if (stop.stop_requested()) return {Code::kCancelled, "stopped"};
      requestedVersions_.push_back(options.resourceVersion);
      local = current_ = std::make_shared<std::stop_source>();
      active_ = true;
    }
    std::stop_callback forward(stop, [local] { local->request_stop(); });
    bool saw410 = false;
    auto wrapped = [&](const ctrl::WatchEvent& event) {
      if (event.type == ctrl::WatchEventType::kError && event.object != nullptr &&
          event.object->value("code", 0) == 410) {
        saw410 = true;
      }
      return handler(event);
    };
    Status s = inner_.watch(resource, ns, options, wrapped, local->get_token());
    std::lock_guard lock(mu_);
    active_ = false;
    if (saw410 || s.code() == Code::kGone) ++gone_;
    cv_.notify_all();
    return s;
  }

  // Cuts the running watch, holds back new ones, and waits until no watch is
  // running (so nothing the server does from now on reaches the informer).
  bool closeAndWaitIdle() {
    std::unique_lock lock(mu_);
    open_ = false;
    if (current_) current_->request_stop();
    return cv_.wait_for(lock, 30s, [&] { return !active_; });
  }
  void open() {
    std::lock_guard lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  int gone() const {
    std::lock_guard lock(mu_);
    return gone_;
  }
  std::vector<std::string> requestedVersions() const {
    std::lock_guard lock(mu_);
    return requestedVersions_;
  }

 private:
  ctrl::Watcher& inner_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = true;
  bool active_ = false;
  int gone_ = 0;
  std::shared_ptr<std::stop_source> current_;
  std::vector<std::string> requestedVersions_;
};

// An informer of ConfigMaps in one namespace, on its own thread, with handlers
// recording "ADDED name", "MODIFIED name", "DELETED name".
class InformerUnderTest {
 public:
  InformerUnderTest(ctrl::Client& client, ctrl::Watcher& watcher, const std::string& ns) {
    ctrl::ReflectorOptions options;
    options.resource = cms();
    options.ns = ns;
    informer_ =
        std::make_unique<ctrl::Informer<ConfigMapLite>>(client, watcher, options, decodeConfigMap);
    ctrl::EventHandlers<ConfigMapLite> h;
    h.onAdd = [this](const auto& o) { record("ADDED " + o->meta.name); };
    h.onUpdate = [this](const auto&, const auto& o) { record("MODIFIED " + o->meta.name); };
    h.onDelete = [this](const auto& o) { record("DELETED " + o->meta.name); };
    EXPECT_TRUE(informer_->addEventHandler(std::move(h)).isOk());
    thread_ = std::jthread([this](std::stop_token stop) { result_ = informer_->start(stop); });
  }
  ~InformerUnderTest() {
    thread_.request_stop();
    thread_.join();
    EXPECT_TRUE(result_.isOk()) << result_.toString();
  }

  bool waitForSync() {
    std::stop_source never;
    return informer_->waitForSync(never.get_token(), std::chrono::steady_clock::now() + 60s);
  }
  // Waits (bounded) until `pred` holds; handler calls wake the wait early.
  bool eventually(const std::function<bool()>& pred, std::chrono::seconds timeout = 60s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    std::unique_lock lock(mu_);
    while (true) {
      lock.unlock();
      bool ok = pred();
      lock.lock();
      if (ok) return true;
      if (std::chrono::steady_clock::now() >= deadline) return false;
      cv_.wait_for(lock, 50ms);
    }
  }
  std::vector<std::string> events() const {
    std::lock_guard lock(mu_);
    return events_;
  }
  // name → resourceVersion of everything cached.
  std::map<std::string, std::string> cached() const {
    std::map<std::string, std::string> out;
    for (const auto& cm : informer_->store().list()) out[cm->meta.name] = cm->meta.resourceVersion;
    return out;
  }
  ctrl::Informer<ConfigMapLite>& informer() { return *informer_; }

 private:
  void record(std::string e) {
    std::lock_guard lock(mu_);
    events_.push_back(std::move(e));
    cv_.notify_all();
  }

  std::unique_ptr<ctrl::Informer<ConfigMapLite>> informer_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::string> events_;
  Status result_;
  std::jthread thread_;
};

// name → resourceVersion of every ConfigMap in `ns`, read from the server.
std::map<std::string, std::string> serverState(ctrl::Reader& reader, const std::string& ns) {
  std::map<std::string, std::string> out;
  ctrl::ListOptions lo;
  while (true) {
    auto page = reader.list(cms(), ns, lo);
    EXPECT_TRUE(page.isOk()) << page.status().toString();
    if (!page.isOk()) return out;
    for (const auto& item : *page->items) {
      out[item["metadata"]["name"].get<std::string>()] =
          item["metadata"]["resourceVersion"].get<std::string>();
    }
    if (page->continueToken.empty()) return out;
    lo.continueToken = page->continueToken;
  }
}

std::string newNamespace(ctrl::Client& client, const std::string& prefix) {
  static std::atomic<int> counter{0};
  std::string ns = prefix + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  auto created = client.create(ctrl::resources::namespace_(), "", {{"metadata", {{"name", ns}}}});
  EXPECT_TRUE(created.isOk()) << created.status().toString();
  return ns;
}

Status updateValue(ctrl::Client& client, const std::string& ns, const std::string& name,
                   const std::string& value) {
  auto patched = client.patch(cms(), ns, name, ctrl::PatchType::kMerge, {{"data", {{"v", value}}}});
  return patched.isOk() ? Status::ok() : patched.status();
}

// Runs `write` until it does not fail with Unavailable (at most 10 times).
Status retryUnavailable(const std::function<Status()>& write) {
  Status s;
  for (int attempt = 0; attempt < 10; ++attempt) {
    s = write();
    if (s.code() != Code::kUnavailable) return s;
  }
  return s;
}

// POSTs a JSON body to etcd's gRPC gateway.
ctrl::StatusOr<Json> etcdPost(ctrl::Transport& etcd, const std::string& path, const Json& body) {
  ctrl::HttpRequest req;
  req.method = "POST";
  req.target = path;
  req.headers = {{"Content-Type", "application/json"}};
  req.body = body.dump();
  auto resp = etcd.send(req);
  if (!resp.isOk()) return resp.status();
  if (resp->status != 200) {
    return Status(Code::kInternal, path + " answered " + std::to_string(resp->status));
  }
  return Json::parse(resp->body);
}

// Compacts etcd at its current revision (physically), so every older
// resourceVersion is gone.
Status compactEtcd(const std::string& etcdUrl) {
  ctrl::RestConfig config;
  config.server = etcdUrl;
  auto etcd = ctrl::makeCppRestTransport(config);
  if (!etcd.isOk()) return etcd.status();
  auto range = etcdPost(**etcd, "/v3/kv/range", {{"key", "AA=="}});
  if (!range.isOk()) return range.status();
  std::string revision = (*range)["header"]["revision"].get<std::string>();
  auto compacted =
      etcdPost(**etcd, "/v3/kv/compaction", {{"revision", revision}, {"physical", true}});
  return compacted.isOk() ? Status::ok() : compacted.status();
}

TEST(InformerIntegrationTest, WatchDeliversCreateUpdateDeleteInOrder) {
  auto& plane = sttest::sharedControlPlane();
  auto client = sttest::adminClient(plane);
  ASSERT_NE(client, nullptr);
  std::string ns = newNamespace(*client, "cache-order");
  InformerUnderTest inf(*client, *client, ns);
  ASSERT_TRUE(inf.waitForSync());
  EXPECT_TRUE(inf.events().empty());

  ASSERT_TRUE(client->create(cms(), ns, configMap("one", "1")).isOk());
  ASSERT_TRUE(updateValue(*client, ns, "one", "2").isOk());
  ASSERT_TRUE(client->remove(cms(), ns, "one").isOk());

  ASSERT_TRUE(inf.eventually([&] { return inf.events().size() >= 3; })) << inf.events().size();
  EXPECT_EQ(inf.events(), (std::vector<std::string>{"ADDED one", "MODIFIED one", "DELETED one"}));
  EXPECT_TRUE(inf.cached().empty());
}

TEST(InformerIntegrationTest, CompactedResourceVersionRelistsToTheServerState) {
  // Without the watch cache the apiserver watches etcd directly, so a watch
  // from a compacted revision is answered with 410.
  sttest::ControlPlaneOptions planeOptions;
  planeOptions.apiserverArgs = {"--watch-cache=false"};
  auto plane = sttest::ControlPlane::start(planeOptions);
  ASSERT_TRUE(plane.isOk()) << plane.status().toString();
  auto client = sttest::adminClient(**plane);
  ASSERT_NE(client, nullptr);
  std::string ns = newNamespace(*client, "cache-compact");
  for (const char* name : {"keep", "change", "drop"}) {
    ASSERT_TRUE(client->create(cms(), ns, configMap(name, "1")).isOk());
  }

  GatedWatcher gate(*client);
  InformerUnderTest inf(*client, gate, ns);
  ASSERT_TRUE(inf.waitForSync());
  EXPECT_EQ(inf.cached(), serverState(*client, ns));
  ASSERT_EQ(inf.informer().listCount(), 1u);

  // Freeze the informer at its current resourceVersion, change things it
  // cannot see, then compact them into history.
  ASSERT_TRUE(gate.closeAndWaitIdle());
  const std::string frozenAt = inf.informer().lastSyncResourceVersion();
  ASSERT_TRUE(client->create(cms(), ns, configMap("new", "1")).isOk());
  ASSERT_TRUE(updateValue(*client, ns, "change", "2").isOk());
  ASSERT_TRUE(client->remove(cms(), ns, "drop").isOk());
  ASSERT_TRUE(compactEtcd((*plane)->etcdUrl()).isOk());
  const auto want = serverState(*client, ns);
  ASSERT_EQ(want.size(), 3u);
  EXPECT_EQ(inf.events().size(), 3u);  // only the initial adds so far

  gate.open();
  ASSERT_TRUE(inf.eventually([&] {
    return inf.informer().listCount() >= 2 && inf.cached() == want;
  })) << "lists="
      << inf.informer().listCount();
  EXPECT_GE(gate.gone(), 1);  // the watch from the frozen version got 410
  // The informer watched from the frozen version, then (after the relist)
  // from a newer one. The first watch may not have reached the gate before
  // the freeze, and the post-relist watch may start after the relist.
  auto watchedPastTheFreeze = [&] {
    const auto v = gate.requestedVersions();
    const auto frozen = std::find(v.begin(), v.end(), frozenAt);
    return frozen != v.end() &&
           std::any_of(frozen + 1, v.end(), [&](const auto& rv) { return rv != frozenAt; });
  };
  EXPECT_TRUE(inf.eventually(watchedPastTheFreeze))
      << ::testing::PrintToString(gate.requestedVersions()) << " frozen at " << frozenAt;
  EXPECT_EQ(inf.informer().store().get(ns, "change")->data.at("v"), "2");
  // The relist's diff reached the handlers, including the vanished object.
  const auto all = inf.events();
  ASSERT_GE(all.size(), 3u);
  std::vector<std::string> afterRelist(all.begin() + 3, all.end());
  EXPECT_EQ(afterRelist,
            (std::vector<std::string>{"MODIFIED change", "ADDED new", "DELETED drop"}));
}

TEST(InformerIntegrationTest, ReconnectsAfterTheApiserverRestarts) {
  auto& plane = sttest::sharedControlPlane();
  auto client = sttest::adminClient(plane);
  ASSERT_NE(client, nullptr);
  std::string ns = newNamespace(*client, "cache-restart");
  for (const char* name : {"a", "b"}) {
    ASSERT_TRUE(client->create(cms(), ns, configMap(name, "1")).isOk());
  }
  GatedWatcher counting(*client);  // never closed: it only records the watches
  InformerUnderTest inf(*client, counting, ns);
  ASSERT_TRUE(inf.waitForSync());
  ASSERT_TRUE(client->create(cms(), ns, configMap("c", "1")).isOk());
  ASSERT_TRUE(inf.eventually([&] { return inf.cached().size() == 3; }));
  const size_t watchesBefore = counting.requestedVersions().size();

  ASSERT_TRUE(plane.stopApiserver().isOk());
  ASSERT_TRUE(plane.startApiserver().isOk());
  // The client's pooled connections died with the old apiserver and writes
  // are not retried by the client, so the test retries these (idempotent)
  // ones itself.
  Status updated = retryUnavailable([&] { return updateValue(*client, ns, "a", "2"); });
  ASSERT_TRUE(updated.isOk()) << updated.toString();
  Status removed = retryUnavailable([&] { return client->remove(cms(), ns, "b"); });
  ASSERT_TRUE(removed.isOk()) << removed.toString();
  Status created = retryUnavailable([&] {
    auto c = client->create(cms(), ns, configMap("d", "1"));
    return c.isOk() ? Status::ok() : c.status();
  });
  ASSERT_TRUE(created.isOk()) << created.toString();
  const auto want = serverState(*client, ns);
  ASSERT_EQ(want.size(), 3u);

  ASSERT_TRUE(inf.eventually([&] { return inf.cached() == want; }, 120s));
  EXPECT_GT(counting.requestedVersions().size(), watchesBefore);  // it reconnected
  EXPECT_EQ(inf.informer().store().get(ns, "a")->data.at("v"), "2");
  EXPECT_EQ(inf.informer().store().get(ns, "b"), nullptr);
}

}  // namespace
