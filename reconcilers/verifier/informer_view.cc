#include "verifier/informer_view.h"

namespace st::verifier {

ctrl::StatusOr<std::unique_ptr<InformerView>> InformerView::create(
    ctrl::Informer<TokenRecord>& tokens, ctrl::Informer<UserRecord>& users,
    ctrl::Informer<JwksRecord>& jwks) {
  std::unique_ptr<InformerView> view(new InformerView(tokens, users, jwks));
  InformerView* v = view.get();
  ctrl::EventHandlers<TokenRecord> index;
  index.onAdd = [v](const auto& t) { v->reindex(nullptr, t); };
  index.onUpdate = [v](const auto& before, const auto& after) { v->reindex(before, after); };
  index.onDelete = [v](const auto& t) { v->reindex(t, nullptr); };
  if (auto s = tokens.addEventHandler(std::move(index)); !s.isOk()) return s;
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

void InformerView::reindex(const std::shared_ptr<const TokenRecord>& before,
                           const std::shared_ptr<const TokenRecord>& after) {
  std::unique_lock lock(indexMu_);
  if (before) {
    for (const std::string& id : tokenIdIndex(*before)) {
      auto it = byTokenId_.find(id);
      if (it == byTokenId_.end()) continue;
      auto rest = std::make_shared<TokenList>(*it->second);
      std::erase_if(*rest,
                    [&](const auto& t) { return t->ns == before->ns && t->name == before->name; });
      if (rest->empty()) {
        byTokenId_.erase(it);
      } else {
        it->second = std::move(rest);
      }
    }
  }
  if (after) {
    for (const std::string& id : tokenIdIndex(*after)) {
      auto& list = byTokenId_[id];
      auto grown = list ? std::make_shared<TokenList>(*list) : std::make_shared<TokenList>();
      grown->push_back(after);
      list = std::move(grown);
    }
  }
}

TokenRecords InformerView::tokensWithId(std::string_view tokenId) const {
  std::shared_lock lock(indexMu_);
  auto it = byTokenId_.find(tokenId);
  return it == byTokenId_.end() ? nullptr : it->second;
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
  // Informers never go back to unsynced: latch the answer, no locks after.
  if (synced_.load(std::memory_order_acquire)) return true;
  const bool now = tokens_.hasSynced() && users_.hasSynced() && jwksInformer_.hasSynced();
  if (now) synced_.store(true, std::memory_order_release);
  return now;
}

}  // namespace st::verifier
