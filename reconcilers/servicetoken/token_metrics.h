// The operator's own Prometheus series (PRODUCT.md §6), next to
// controller-runtime's: per-token expiry/renewal/readiness gauges and
// mint/rotation/error counters. Never carries a token value.
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "controller/clock.h"

namespace prometheus {
class Registry;
}

namespace st {

class TokenMetrics {
 public:
  // Registers the families in `registry`.
  explicit TokenMetrics(prometheus::Registry& registry);
  ~TokenMetrics();
  TokenMetrics(const TokenMetrics&) = delete;
  TokenMetrics& operator=(const TokenMetrics&) = delete;

  // Updates the gauges of one token; absent times remove the series.
  void observe(const std::string& ns, const std::string& name,
               std::optional<ctrl::WallTime> expiresAt, std::optional<ctrl::WallTime> renewsAt,
               bool ready);
  // Removes every series of a deleted token.
  void forget(const std::string& ns, const std::string& name);
  void minted(const std::string& reason);  // servicetoken_mint_total{reason}
  void rotated();                          // servicetoken_rotation_total
  void error(const std::string& reason);   // servicetoken_errors_total{reason}
  void guardRefused();                     // servicetoken_mint_rate_guard_refusals_total
  void adoptionRefused();                  // servicetoken_adoption_refusals_total

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace st
