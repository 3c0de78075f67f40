#include "operator/probe.h"

#include <chrono>

#include "controller/transport.h"

namespace st {
namespace {

constexpr size_t kMaxUrlBytes = 2048;
constexpr auto kProbeTimeout = std::chrono::seconds(10);

}  // namespace

ctrl::StatusOr<ProbeTarget> parseProbeUrl(const std::string& url) {
  const auto invalid = [](const std::string& why) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "--probe: " + why);
  };
  if (url.size() > kMaxUrlBytes) {
    return invalid("the URL is longer than " + std::to_string(kMaxUrlBytes) + " characters");
  }
  constexpr std::string_view kScheme = "http://";
  if (url.rfind(kScheme, 0) != 0) return invalid("the URL must start with http://");
  const size_t slash = url.find('/', kScheme.size());
  ProbeTarget t;
  t.server = url.substr(0, slash);
  t.target = slash == std::string::npos ? "/" : url.substr(slash);
  if (t.server.size() == kScheme.size() || t.server[kScheme.size()] == ':') {
    return invalid("the URL has no host");
  }
  return t;
}

int runProbe(const std::string& url, std::ostream& out, std::ostream& err) {
  auto target = parseProbeUrl(url);
  if (!target.isOk()) {
    err << target.status().message() << "\n";
    return 2;
  }
  ctrl::RestConfig config;
  config.server = target->server;
  config.userAgent = "servicetoken-operator-probe";
  auto transport = ctrl::makeCppRestTransport(config);
  if (!transport.isOk()) {
    err << "probe " << url << ": " << transport.status().toString() << "\n";
    return 1;
  }
  ctrl::HttpRequest request;
  request.target = target->target;
  request.timeout = kProbeTimeout;
  auto response = (*transport)->send(request);
  if (!response.isOk()) {
    err << "probe " << url << ": " << response.status().toString() << "\n";
    return 1;
  }
  if (response->status < 200 || response->status > 299) {
    err << "probe " << url << ": HTTP " << response->status << "\n";
    return 1;
  }
  out << "probe " << url << ": HTTP " << response->status << "\n";
  return 0;
}

}  // namespace st
