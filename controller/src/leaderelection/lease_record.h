// The leader-election record held in a Lease's spec, and its conversion to
// and from the Lease object (client-go's LeaderElectionRecord and LeaseLock).
#pragma once

#include <cstdint>
#include <string>

#include "controller/client.h"

namespace ctrl {

struct LeaseRecord {
  std::string holderIdentity;
  int64_t leaseDurationSeconds = 0;
  std::string acquireTime;  // MicroTime, as written by the holder (never compared to our clock)
  std::string renewTime;
  int64_t leaseTransitions = 0;

  bool operator==(const LeaseRecord&) const = default;
};

// Reads spec.{holderIdentity, leaseDurationSeconds, acquireTime, renewTime,
// leaseTransitions}; absent or mistyped fields read as empty/zero.
LeaseRecord leaseRecordFrom(const Json& lease);

// Overwrites those spec fields of `lease` with `record` (holderIdentity "" is
// written as ""; empty times are left out). Other fields, metadata included
// (resourceVersion: the compare-and-swap precondition), are kept.
void writeLeaseRecord(const LeaseRecord& record, Json& lease);

// A new Lease object named `ns`/`name` holding `record`, for create().
Json newLease(const std::string& ns, const std::string& name, const LeaseRecord& record);

}  // namespace ctrl
