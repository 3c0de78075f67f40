// Shared fixtures for the verifier's unit tests: a signing key and its JWKS,
// tokens minted with it, and an in-memory CacheView holding TokenRecords and
// UserRecords built as plain structs. Time comes from a FakeClock.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_clock.h"
#include "token/jwt.h"
#include "token/random_source.h"
#include "token/signing_key.h"
#include "token/token_hash.h"
#include "verifier/authenticator.h"
#include "verifier/cache_view.h"
#include "verifier/records.h"

namespace sttest {

inline constexpr const char* kIssuer = "https://verifier.example.com";
inline constexpr const char* kAudience = "api.example.com";
inline constexpr const char* kUserId = "pipeline_automation@service";

class FakeCacheView final : public st::verifier::CacheView {
 public:
  st::verifier::TokenRecords tokensWithId(std::string_view tokenId) const override {
    auto out = std::make_shared<std::vector<std::shared_ptr<const st::verifier::TokenRecord>>>();
    for (const auto& [key, t] : tokens) {
      for (const auto& id : st::verifier::tokenIdIndex(*t)) {
        if (id == tokenId) out->push_back(t);
      }
    }
    if (out->empty()) return nullptr;
    return out;
  }
  std::shared_ptr<const st::verifier::UserRecord> serviceUser(
      std::string_view ns, std::string_view name) const override {
    auto it = users.find(std::string(ns) + "/" + std::string(name));
    return it == users.end() ? nullptr : it->second;
  }
  st::verifier::JwksSnapshot jwks() const override { return keys; }
  bool synced() const override { return isSynced; }

  void put(st::verifier::TokenRecord t) {
    const std::string key = t.ns + "/" + t.name;
    tokens[key] = std::make_shared<const st::verifier::TokenRecord>(std::move(t));
  }
  void put(st::verifier::UserRecord u) {
    const std::string key = u.ns + "/" + u.name;
    users[key] = std::make_shared<const st::verifier::UserRecord>(std::move(u));
  }
  st::verifier::TokenRecord token(const std::string& key) const { return *tokens.at(key); }

  std::map<std::string, std::shared_ptr<const st::verifier::TokenRecord>> tokens;
  std::map<std::string, std::shared_ptr<const st::verifier::UserRecord>> users;
  st::verifier::JwksSnapshot keys;
  bool isSynced = true;
};

// A minted token and the records that make it valid.
struct Minted {
  std::string value;  // the token (test-only: never printed)
  std::string hash;
  st::TokenClaims claims;
};

class VerifierFixture : public ::testing::Test {
 protected:
  explicit VerifierFixture(st::KeyAlgorithm alg = st::KeyAlgorithm::kEd25519)
      : key_(std::move(st::SigningKey::generate(alg)).value()) {
    setKeys({key_});
    policy_.issuer = kIssuer;
    policy_.apiAudience = kAudience;
    policy_.scimAudience = st::scimAudience(kAudience);
    policy_.leeway = std::chrono::seconds(30);
    st::verifier::UserRecord user;
    user.ns = "default";
    user.name = "pipeline";
    user.uid = "uid-pipeline";
    user.email = "pipeline@example.com";
    user.role = "Admin";
    user.teams = {"data", "platform"};
    user.userId = kUserId;
    view_.put(user);
  }

  void setKeys(const std::vector<st::SigningKey>& keys) {
    std::vector<st::PublicKey> pub;
    for (const auto& k : keys) pub.push_back(k.publicKey());
    view_.keys.jwks = std::make_shared<const st::Jwks>(std::move(st::Jwks::fromKeys(pub)).value());
    ++view_.keys.generation;
  }

  st::TokenClaims claims(st::TokenScope scope = st::TokenScope::kApi) const {
    st::TokenClaims c;
    c.issuer = kIssuer;
    c.subject = kUserId;
    c.name = "Pipeline Automation";
    c.email = "claim@example.com";
    c.issuedAt = std::chrono::time_point_cast<std::chrono::seconds>(clock_.wallNow());
    c.expiresAt = c.issuedAt + std::chrono::hours(24 * 30);
    c.use = st::TokenUse::kService;
    c.scope = scope;
    c.audience = scope == st::TokenScope::kScim ? st::scimAudience(kAudience) : kAudience;
    return c;
  }

  Minted mint(st::TokenClaims c, const st::SigningKey* key = nullptr) {
    auto minted =
        st::mintToken(std::move(c), key ? *key : key_, st::OpenSslRandomSource::instance());
    EXPECT_TRUE(minted.isOk()) << minted.status().toString();
    return {std::string(minted->token.reveal()), minted->hash, minted->claims};
  }

  // A ServiceToken default/<name> whose current token is `m`.
  st::verifier::TokenRecord record(const Minted& m, const std::string& name = "pipeline") const {
    st::verifier::TokenRecord t;
    t.ns = "default";
    t.name = name;
    t.uid = "uid-" + name;
    t.type = st::TokenType::kService;
    t.serviceUserRef = "pipeline";
    t.phase = "Active";
    t.serviceUserId = kUserId;
    t.tokenId = m.claims.tokenId;
    t.tokenHash = m.hash;
    return t;
  }

  // Mints an API token and stores the ServiceToken that holds it.
  Minted activeToken(st::TokenScope scope = st::TokenScope::kApi) {
    Minted m = mint(claims(scope));
    view_.put(record(m));
    return m;
  }

  FakeClock clock_;
  st::SigningKey key_;
  FakeCacheView view_;
  st::verifier::ClaimsPolicy policy_;
};

}  // namespace sttest
