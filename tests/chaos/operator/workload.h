// The load the chaos scenarios put on the operator, and how they count
// progress: ServiceTokens spread over ten ServiceUsers, the number Active,
// and the scenario's random seed.
#pragma once

#include <cstdint>
#include <cstdlib>
#include <random>
#include <sstream>
#include <string>

#include "e2e/operator/e2e_cluster.h"

namespace sttest::chaos {

// `tokens` ServiceTokens (token-<i>, 90 days) over ten ServiceUsers
// (user-<u>), display names prefixed with `label` so scenarios differ.
inline std::string tokenManifests(const std::string& ns, int tokens, const std::string& label) {
  std::ostringstream y;
  for (int u = 0; u < 10; ++u) {
    y << "---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceUser\nmetadata:\n  name: user-"
      << u << "\n  namespace: " << ns << "\nspec:\n  displayName: " << label << " User " << u
      << "\n";
  }
  for (int i = 0; i < tokens; ++i) {
    y << "---\napiVersion: servicetoken.dev/v1alpha1\nkind: ServiceToken\nmetadata:\n  name: token-"
      << i << "\n  namespace: " << ns << "\nspec:\n  displayName: " << label << " Token " << i
      << "\n  type: Service\n  serviceUserRef: {name: user-" << i % 10 << "}\n  expiration: 90d\n";
  }
  return y.str();
}

// ServiceTokens in `ns` whose phase is Active; -1 when kubectl fails.
inline int activeCount(E2eCluster& c, const std::string& ns) {
  ProcessResult r =
      c.kubectl({"get", "servicetokens", "-n", ns, "-o", "jsonpath={.items[*].status.phase}"});
  if (r.exitCode != 0) return -1;
  std::istringstream in(r.out);
  int n = 0;
  for (std::string phase; in >> phase;) n += phase == "Active" ? 1 : 0;
  return n;
}

// ST_CHAOS_SEED when set (to replay a run), else a random seed.
inline uint32_t chaosSeed() {
  if (const char* s = std::getenv("ST_CHAOS_SEED")) return static_cast<uint32_t>(std::stoul(s));
  return std::random_device{}();
}

}  // namespace sttest::chaos
