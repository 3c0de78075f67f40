// Identity and configuration checks for the leader elector.
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <random>

#include "controller/leader_elector.h"

namespace ctrl {
namespace {

std::string hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0 || buf[0] == '\0') return "unknown";
  return buf.data();
}

std::string randomUuid() {
  std::random_device device;
  std::uniform_int_distribution<unsigned> byte(0, 255);
  std::array<unsigned, 16> b{};
  for (auto& v : b) v = byte(device);
  b[6] = (b[6] & 0x0fU) | 0x40U;  // version 4
  b[8] = (b[8] & 0x3fU) | 0x80U;  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out,
                "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14],
                b[15]);
  return out;
}

Status invalid(std::string message) {
  return errorStatus(Code::kInvalidArgument, "leader election: " + std::move(message));
}

}  // namespace

std::string defaultLeaderIdentity() { return hostname() + "_" + randomUuid(); }

Status validateLeaderElectionConfig(const LeaderElectionConfig& config) {
  using std::chrono::seconds;
  if (config.leaseName.empty()) return invalid("leaseName is required");
  if (config.leaseNamespace.empty()) return invalid("leaseNamespace is required");
  if (config.leaseDuration < seconds(1) || config.leaseDuration % seconds(1) != Duration::zero()) {
    return invalid("leaseDuration must be a whole number of seconds, at least 1s");
  }
  if (config.retryPeriod <= Duration::zero()) return invalid("retryPeriod must be positive");
  if (config.leaseDuration <= config.renewDeadline) {
    return invalid("leaseDuration must be greater than renewDeadline");
  }
  // client-go's check (JitterFactor 1.2): the leader gets more than one retry
  // before its deadline.
  if (config.renewDeadline * 5 <= config.retryPeriod * 6) {
    return invalid("renewDeadline must be greater than retryPeriod*1.2");
  }
  if (!(config.jitterFactor >= 0)) return invalid("jitterFactor must not be negative");
  return Status::ok();
}

}  // namespace ctrl
