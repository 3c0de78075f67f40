#include "verifier/informer_view.h"

namespace st::verifier {

ctrl::StatusOr<std::unique_ptr<InformerView>> InformerView::create(
    ctrl::Informer<TokenRecord>& tokens, ctrl::Informer<UserRecord>& users,
    ctrl::Informer<JwksRecord>& jwks) {
  std::unique_ptr<InformerView> view(new InformerView(tokens, users, jwks));
  if (auto s = tokens.addIndex(kByTokenIdIndex, tokenIdIndex); !s.isOk()) return s;
  InformerView* v = view.get();
  auto s =
      jwks.addEventHandler({.onAdd = [v](const auto& record) { v->setJwks(record); },
                            .onUpdate = [v](const auto&, const auto& after) { v->setJwks(after); },
                            .onDelete = [v](const auto&) { v->setJwks(nullptr); }});
  if (!s.isOk()) return s;
  return view;
}

void InformerView::setJwks(const std::shared_ptr<const JwksRecord>& record) {
  std::lock_guard lock(mu_);
  jwks_.jwks = record ? record->jwks : nullptr;
  ++jwks_.generation;
  document_ = record ? std::shared_ptr<const std::string>(record, &record->document) : nullptr;
}

std::vector<std::shared_ptr<const TokenRecord>> InformerView::tokensWithId(
    std::string_view tokenId) const {
  return tokens_.store().byIndex(kByTokenIdIndex, tokenId);
}

std::shared_ptr<const UserRecord> InformerView::serviceUser(std::string_view ns,
                                                            std::string_view name) const {
  return users_.store().get(ns, name);
}

JwksSnapshot InformerView::jwks() const {
  std::lock_guard lock(mu_);
  return jwks_;
}

std::shared_ptr<const std::string> InformerView::jwksDocument() const {
  std::lock_guard lock(mu_);
  return document_;
}

bool InformerView::synced() const {
  return tokens_.hasSynced() && users_.hasSynced() && jwksInformer_.hasSynced();
}

}  // namespace st::verifier
