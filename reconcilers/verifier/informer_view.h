// The CacheView over the verifier's informers: ServiceTokens (indexed by
// token id), ServiceUsers, and the JWKS ConfigMap. The current JWKS is kept
// as an immutable snapshot with a generation number, replaced by the
// ConfigMap informer's event handler, so a request reads it with one short
// lock and no parse.
#pragma once

#include <memory>
#include <mutex>
#include <string>

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

  std::vector<std::shared_ptr<const TokenRecord>> tokensWithId(
      std::string_view tokenId) const override;
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

  ctrl::Informer<TokenRecord>& tokens_;
  ctrl::Informer<UserRecord>& users_;
  ctrl::Informer<JwksRecord>& jwksInformer_;

  mutable std::mutex mu_;
  JwksSnapshot jwks_;                            // guarded by mu_
  std::shared_ptr<const std::string> document_;  // guarded by mu_
};

}  // namespace st::verifier
