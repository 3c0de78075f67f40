#include "leaderelection/lease_record.h"

#include <nlohmann/json.hpp>

#include "controller/resource.h"

namespace ctrl {
namespace {

std::string stringField(const Json& spec, const char* key) {
  auto it = spec.find(key);
  return it != spec.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t intField(const Json& spec, const char* key) {
  auto it = spec.find(key);
  return it != spec.end() && it->is_number_integer() ? it->get<int64_t>() : 0;
}

}  // namespace

LeaseRecord leaseRecordFrom(const Json& lease) {
  LeaseRecord record;
  auto spec = lease.find("spec");
  if (!lease.is_object() || spec == lease.end() || !spec->is_object()) return record;
  record.holderIdentity = stringField(*spec, "holderIdentity");
  record.leaseDurationSeconds = intField(*spec, "leaseDurationSeconds");
  record.acquireTime = stringField(*spec, "acquireTime");
  record.renewTime = stringField(*spec, "renewTime");
  record.leaseTransitions = intField(*spec, "leaseTransitions");
  return record;
}

void writeLeaseRecord(const LeaseRecord& record, Json& lease) {
  Json& spec = lease["spec"];
  if (!spec.is_object()) spec = Json::object();
  spec["holderIdentity"] = record.holderIdentity;
  spec["leaseDurationSeconds"] = record.leaseDurationSeconds;
  spec["leaseTransitions"] = record.leaseTransitions;
  spec.erase("acquireTime");
  spec.erase("renewTime");
  if (!record.acquireTime.empty()) spec["acquireTime"] = record.acquireTime;
  if (!record.renewTime.empty()) spec["renewTime"] = record.renewTime;
}

Json newLease(const std::string& ns, const std::string& name, const LeaseRecord& record) {
  Json lease = {{"apiVersion", resources::lease().apiVersion()},
                {"kind", resources::lease().kind},
                {"metadata", {{"name", name}, {"namespace", ns}}}};
  writeLeaseRecord(record, lease);
  return lease;
}

}  // namespace ctrl
