// The CacheView over the verifier's informers: ServiceTokens (indexed by
// token id), ServiceUsers, and the JWKS ConfigMap. Built for the request
// path: the token-id index is a hash map of its own, kept by the
// ServiceToken informer's event handler under a reader-writer lock (a
// lookup takes a shared lock and copies one pointer); the current JWKS is an
// immutable snapshot with a generation number, replaced by the ConfigMap
// informer's handler; "synced" latches once true.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "controller/informer.h"
#include "verifier/cache_view.h"
#include "verifier/records.h"

namespace st::verifier {

class InformerView final : public CacheView {
 public:
  // The informers must outlive the view. Registers the JWKS informer's
  // event handler and the token index (call before the informers start).
  static ctrl::StatusOr<std::unique_ptr<InformerView>> create(ctrl::Informer<TokenRecord>& tokens,
                                                              ctrl::Informer<UserRecord>& users,
                                                              ctrl::Informer<JwksRecord>& jwks);

  TokenRecords tokensWithId(std::string_view tokenId) const override;
  std::shared_ptr<const UserRecord> serviceUser(std::string_view ns,
                                                std::string_view name) const override;
  JwksSnapshot jwks() const override;
  bool synced() const override;

  // The JWKS document to serve ("" when none is loaded). Thread-safe.
  std::shared_ptr<const std::string> jwksDocument() const;

 private:
  InformerView(ctrl::Informer<TokenRecord>& tokens, ctrl::Informer<UserRecord>& users,
               ctrl::Informer<JwksRecord>& jwks)
      : tokens_(tokens), users_(users), jwksInformer_(jwks) {}
  void setJwks(const std::shared_ptr<const JwksRecord>& record);
  // Index maintenance: removes `before`'s ids, adds `after`'s (either may
  // be null).
  void reindex(const std::shared_ptr<const TokenRecord>& before,
               const std::shared_ptr<const TokenRecord>& after);

  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };

  ctrl::Informer<TokenRecord>& tokens_;
  ctrl::Informer<UserRecord>& users_;
  ctrl::Informer<JwksRecord>& jwksInformer_;

  mutable std::shared_mutex indexMu_;
  // token id -> the ServiceTokens holding it (one, unless something is
  // wrong), an immutable list replaced on change: a lookup copies one pointer.
  using TokenList = std::vector<std::shared_ptr<const TokenRecord>>;
  std::unordered_map<std::string, std::shared_ptr<const TokenList>, Hash, std::equal_to<>>
      byTokenId_;  // guarded by indexMu_
  mutable std::atomic<bool> synced_{false};

  mutable std::mutex mu_;
  JwksSnapshot jwks_;                            // guarded by mu_
  std::shared_ptr<const std::string> document_;  // guarded by mu_
};

}  // namespace st::verifier
