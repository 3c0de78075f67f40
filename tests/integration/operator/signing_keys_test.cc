// The signing-key bootstrap: replicas starting at once end with one key, and
// the published JWKS verifies what that key signs.
#include <gtest/gtest.h>

#include <thread>
#include <vector>

#include "authority/key_bootstrap.h"
#include "operator_harness.h"
#include "token/jwt.h"
#include "token/random_source.h"

namespace sttest {
namespace {

TEST(SigningKeys, ReplicasStartingAtOnceEndWithOneKey) {
  OperatorHarness first;
  OperatorHarness second;  // its own client and connections, as another process would have
  ASSERT_EQ(first.kubectl({"create", "namespace", "keys-race"}).exitCode, 0);
  st::KeyBootstrapOptions options;
  options.ns = "keys-race";

  constexpr int kReplicas = 4;
  std::vector<ctrl::StatusOr<st::SigningKeyRing>> results(
      kReplicas, ctrl::Status(ctrl::Code::kInternal, "not run"));
  std::vector<std::thread> threads;
  for (int i = 0; i < kReplicas; ++i) {
    threads.emplace_back([&, i] {
      ctrl::Client& client = i % 2 == 0 ? first.api() : second.api();
      results[i] = st::loadOrCreateSigningKeys(client, options);
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& r : results) ASSERT_TRUE(r.isOk()) << r.status().toString();
  for (const auto& r : results) {
    EXPECT_EQ(r->active().kid(), results[0]->active().kid()) << "two replicas use different keys";
  }
  // Exactly one Secret holds exactly one key.
  auto secret = first.api().get(ctrl::resources::secret(), "keys-race", options.secretName);
  ASSERT_TRUE(secret.isOk());
  int pems = 0;
  for (const auto& [k, v] : (*secret)["data"].items()) pems += k.ends_with(".pem") ? 1 : 0;
  EXPECT_EQ(pems, 1);

  // Publishing twice writes once; the JWKS verifies a token signed by the key.
  ASSERT_TRUE(st::publishJwks(first.api(), options, *results[0]).isOk());
  auto cm = first.api().get(ctrl::resources::configMap(), "keys-race", options.jwksConfigMap);
  ASSERT_TRUE(cm.isOk());
  const std::string version = (*cm)["metadata"]["resourceVersion"];
  ASSERT_TRUE(st::publishJwks(second.api(), options, *results[1]).isOk());
  auto again = first.api().get(ctrl::resources::configMap(), "keys-race", options.jwksConfigMap);
  EXPECT_EQ((*again)["metadata"]["resourceVersion"], version) << "an unchanged JWKS was rewritten";

  st::TokenClaims claims;
  claims.issuer = "https://servicetoken.dev";
  claims.subject = "race@service";
  claims.name = "Race";
  claims.audience = "servicetoken.dev";
  claims.issuedAt = std::chrono::time_point_cast<std::chrono::seconds>(first.clock().wallNow());
  auto minted = st::mintToken(claims, results[3]->active(), st::OpenSslRandomSource::instance());
  ASSERT_TRUE(minted.isOk());
  auto jwks = st::Jwks::parse((*cm)["data"]["jwks.json"].get<std::string>());
  ASSERT_TRUE(jwks.isOk());
  EXPECT_TRUE(st::verifyJwt(minted->token.reveal(), *jwks, first.clock().wallNow()).isOk());
}

TEST(SigningKeys, AnUnusableKeySecretIsAnErrorAndIsNeverOverwritten) {
  OperatorHarness h;
  ASSERT_EQ(h.kubectl({"create", "namespace", "keys-bad"}).exitCode, 0);
  ASSERT_EQ(h.kubectl({"create", "secret", "generic", "servicetoken-signing-keys", "-n", "keys-bad",
                       "--from-literal=active-kid=missing"})
                .exitCode,
            0);
  st::KeyBootstrapOptions options;
  options.ns = "keys-bad";
  auto ring = st::loadOrCreateSigningKeys(h.api(), options);
  EXPECT_FALSE(ring.isOk());
  ProcessResult after = h.kubectl({"get", "secret", "servicetoken-signing-keys", "-n", "keys-bad",
                                   "-o", "jsonpath={.data.active-kid}"});
  EXPECT_EQ(after.out, "bWlzc2luZw==");  // "missing": untouched
}

}  // namespace
}  // namespace sttest
