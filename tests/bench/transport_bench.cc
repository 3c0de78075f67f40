// Throughput and CPU cost of the cpprest Transport against a real local
// control plane (its own, started here): GETs of one ConfigMap from 1 and 8
// threads, PATCHes (writes) from 1 and 8 threads, paged LISTs, and a new
// connection per request (TCP and TLS handshakes plus the TLS context
// set-up). Reports requests/s (wall clock), process CPU per
// request (all threads, cpprest's pool included) and the TCP connections
// opened during the run.
// A measurement, never a pass/fail.
//
//   ./bench_transport                      all cases
//   ./bench_transport --benchmark_filter=Get
#include <benchmark/benchmark.h>
#include <dlfcn.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "control_plane.h"
#include "controller/rest_config.h"
#include "controller/transport.h"
#include "integration/rest/socket_census.h"

// Counts the TCP connections this process opens: the bench binary defines
// connect(), so the dynamic linker routes the HTTP library's calls here, and
// this forwards to the C library's. Test-only instrumentation.
std::atomic<long> connectCalls{0};

extern "C" int connect(int fd, const sockaddr* address, socklen_t length) {
  using ConnectFn = int (*)(int, const sockaddr*, socklen_t);
  static const auto real = reinterpret_cast<ConnectFn>(dlsym(RTLD_NEXT, "connect"));
  connectCalls.fetch_add(1, std::memory_order_relaxed);
  return real(fd, address, length);
}

namespace {

constexpr int kListObjects = 300;
constexpr int kPageSize = 100;
const char* const kNamespace = "default";
const char* const kName = "st-bench-transport";
const char* const kLabel = "st-bench=transport";

struct BenchEnv {
  std::unique_ptr<sttest::ControlPlane> plane;
  ctrl::RestConfig config;
  std::unique_ptr<ctrl::Transport> transport;  // shared by every case
  int port = -1;
};
BenchEnv* env = nullptr;

double processCpuSeconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  const auto seconds = [](const timeval& tv) { return tv.tv_sec + tv.tv_usec / 1e6; };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

ctrl::HttpRequest getRequest(const std::string& target) {
  ctrl::HttpRequest request;
  request.target = target;
  return request;
}

std::string configMapPath() {
  return std::string("/api/v1/namespaces/") + kNamespace + "/configmaps/" + kName;
}

bool createConfigMap(ctrl::Transport& transport, const std::string& name, bool labelled) {
  nlohmann::json object = {{"apiVersion", "v1"},
                           {"kind", "ConfigMap"},
                           {"metadata", {{"name", name}}},
                           {"data", {{"payload", std::string(512, 'x')}}}};
  if (labelled) object["metadata"]["labels"] = {{"st-bench", "transport"}};
  ctrl::HttpRequest create;
  create.method = "POST";
  create.target = std::string("/api/v1/namespaces/") + kNamespace + "/configmaps";
  create.body = object.dump();
  auto response = transport.send(create);
  return response.isOk() && (response->status == 201 || response->status == 409);
}

// Thread 0 reads the process CPU clock around the timed loop (the library's
// start and stop barriers make every thread's loop fall inside it) and
// reports per-request figures; the harness sums counters over threads.
class CpuMeter {
 public:
  explicit CpuMeter(benchmark::State& state) : state_(state) {
    if (state_.thread_index() == 0) {
      start_ = processCpuSeconds();
      connects_ = connectCalls.load();
    }
  }
  void report(double requestsPerIteration) {
    const double requests =
        static_cast<double>(state_.iterations()) * state_.threads() * requestsPerIteration;
    state_.counters["req/s"] =
        benchmark::Counter(static_cast<double>(state_.iterations()) * requestsPerIteration,
                           benchmark::Counter::kIsRate);
    if (state_.thread_index() != 0 || requests == 0) return;
    state_.counters["cpu_us/req"] = (processCpuSeconds() - start_) / requests * 1e6;
    state_.counters["new_conns"] = static_cast<double>(connectCalls.load() - connects_);
  }

 private:
  benchmark::State& state_;
  double start_ = 0;
  long connects_ = 0;
};

void BM_GetConfigMap(benchmark::State& state) {
  const ctrl::HttpRequest request = getRequest(configMapPath());
  CpuMeter cpu(state);
  for (auto _ : state) {
    auto response = env->transport->send(request);
    if (!response.isOk() || response->status != 200) {
      state.SkipWithError("GET failed");
      break;
    }
  }
  cpu.report(1);
  if (state.thread_index() == 0) {
    // Idle keep-alive connections left in the pool after the run.
    state.counters["pooled_conns"] =
        static_cast<double>(sttest::establishedSocketsTo(env->port).size());
  }
}
BENCHMARK(BM_GetConfigMap)->Iterations(500)->UseRealTime();
BENCHMARK(BM_GetConfigMap)->Iterations(250)->Threads(8)->UseRealTime();

// A merge PATCH of one ConfigMap: a write on the pooled keep-alive
// connections. Writes carry a body the library cannot rewind (so it never
// replays them); compare with BM_GetOnNewConnection, the cost of the
// alternative (a fresh connection per write).
void BM_PatchConfigMap(benchmark::State& state) {
  ctrl::HttpRequest request;
  request.method = "PATCH";
  request.target = configMapPath();
  request.headers = {{"Content-Type", "application/merge-patch+json"}};
  CpuMeter cpu(state);
  int64_t i = 0;
  for (auto _ : state) {
    request.body = R"({"data":{"n":")" + std::to_string(state.thread_index()) + "-" +
                   std::to_string(i++) + R"("}})";
    auto response = env->transport->send(request);
    if (!response.isOk() || response->status != 200) {
      state.SkipWithError("PATCH failed");
      break;
    }
  }
  cpu.report(1);
}
BENCHMARK(BM_PatchConfigMap)->Iterations(300)->UseRealTime();
BENCHMARK(BM_PatchConfigMap)->Iterations(100)->Threads(8)->UseRealTime();

// The list's metadata.continue, found by text search rather than a full
// JSON parse, so the figures are the transport's (the ConfigMaps' data cannot
// contain the key). Tokens are base64url, never escaped.
std::string continueToken(const std::string& body) {
  const std::string key = "\"continue\":\"";
  const size_t start = body.find(key);
  if (start == std::string::npos) return "";
  const size_t end = body.find('"', start + key.size());
  return end == std::string::npos ? "" : body.substr(start + key.size(), end - start - key.size());
}

// A LIST of kListObjects labelled ConfigMaps in pages of kPageSize.
void BM_PagedList(benchmark::State& state) {
  CpuMeter cpu(state);
  int pages = 0;
  for (auto _ : state) {
    std::string token;
    do {
      std::string target =
          std::string("/api/v1/namespaces/") + kNamespace +
          "/configmaps?labelSelector=st-bench%3Dtransport&limit=" + std::to_string(kPageSize);
      if (!token.empty()) target += "&continue=" + token;
      auto response = env->transport->send(getRequest(target));
      if (!response.isOk() || response->status != 200) {
        state.SkipWithError("LIST failed");
        return;
      }
      ++pages;
      token = continueToken(response->body);
    } while (!token.empty());
  }
  cpu.report(static_cast<double>(pages) / static_cast<double>(state.iterations()));
}
BENCHMARK(BM_PagedList)->Iterations(100)->UseRealTime();

// A fresh transport per request, so every request pays for a new connection:
// TCP connect, TLS handshake, and the TLS context set-up (cpprest's own plus
// our CA, client certificate and key).
void BM_GetOnNewConnection(benchmark::State& state) {
  const ctrl::HttpRequest request = getRequest("/version");
  CpuMeter cpu(state);
  for (auto _ : state) {
    auto transport = ctrl::makeCppRestTransport(env->config);
    if (!transport.isOk()) {
      state.SkipWithError("cannot create the transport");
      break;
    }
    auto response = (*transport)->send(request);
    if (!response.isOk() || response->status != 200) {
      state.SkipWithError("GET failed");
      break;
    }
  }
  cpu.report(1);
}
BENCHMARK(BM_GetOnNewConnection)->Iterations(100)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  auto plane = sttest::ControlPlane::start({});
  if (!plane.isOk()) {
    std::cerr << "cannot start the control plane: " << plane.status().toString() << "\n";
    return 1;
  }
  BenchEnv bench;
  bench.plane = std::move(plane).value();
  ctrl::KubeconfigOptions options;
  options.path = bench.plane->kubeconfig();
  auto config = ctrl::loadKubeconfig(options);
  if (!config.isOk()) {
    std::cerr << "cannot load the kubeconfig: " << config.status().toString() << "\n";
    return 1;
  }
  bench.config = config.value();
  bench.port = sttest::portOf(bench.config.server);
  auto transport = ctrl::makeCppRestTransport(bench.config);
  if (!transport.isOk()) {
    std::cerr << "cannot create the transport: " << transport.status().toString() << "\n";
    return 1;
  }
  bench.transport = std::move(transport).value();
  bool created = createConfigMap(*bench.transport, kName, false);
  for (int i = 0; created && i < kListObjects; ++i) {
    created = createConfigMap(*bench.transport, std::string(kName) + "-" + std::to_string(i), true);
  }
  if (!created) {
    std::cerr << "cannot create the ConfigMaps (" << kLabel << ")\n";
    return 1;
  }
  env = &bench;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  env = nullptr;
  return 0;
}
