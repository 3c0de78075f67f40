// The signing-key bootstrap: replicas starting at once end with one key, and
// the published JWKS verifies what that key signs.
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

#include "authority/key_bootstrap.h"
#include "operator/operator.h"
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

// The API server is busy, then restarting, while the operator starts: the
// key and JWKS steps are retried (once each write fails) and the start
// succeeds with one key. A refusal that cannot heal ends the start at once.
TEST(SigningKeys, StartUpRidesOutTransientErrorsAndStopsAtPermanentOnes) {
  OperatorHarness h;
  ASSERT_EQ(h.kubectl({"create", "namespace", "keys-transient"}).exitCode, 0);
  ASSERT_EQ(h.kubectl({"create", "namespace", "keys-forbidden"}).exitCode, 0);
  st::OperatorDeps deps;
  deps.client = &h.client();
  deps.clock = &h.clock();
  deps.startupRetry = {.initialDelay = {}, .maxDelay = {}, .giveUpAfter = std::chrono::hours(1)};

  std::vector<std::string> refused;
  h.client().setFault(
      [&](const std::string& verb, const std::string& plural, const std::string&) -> ctrl::Status {
        if (plural == "secrets" && verb == "create" && refused.empty()) {
          refused.push_back("secret create: 429");
          return ctrl::Status(ctrl::Code::kTooManyRequests, "the API server is busy");
        }
        if (plural == "configmaps" && refused.size() < 3) {
          refused.push_back(verb + " configmap: 503");
          return ctrl::Status(ctrl::Code::kUnavailable, "the API server is restarting");
        }
        return ctrl::Status::ok();
      });
  h.options().ns = "keys-transient";
  auto started = st::Operator::create(h.options(), deps);
  ASSERT_TRUE(started.isOk()) << started.status().toString();
  EXPECT_EQ(refused, (std::vector<std::string>{"secret create: 429", "create configmap: 503",
                                               "create configmap: 503"}));
  auto cm = h.api().get(ctrl::resources::configMap(), "keys-transient", "servicetoken-jwks");
  ASSERT_TRUE(cm.isOk()) << cm.status().toString();
  EXPECT_NE((*cm)["data"]["jwks.json"].get<std::string>().find("\"kid\""), std::string::npos);
  auto secret =
      h.api().get(ctrl::resources::secret(), "keys-transient", "servicetoken-signing-keys");
  ASSERT_TRUE(secret.isOk());
  int pems = 0;
  for (const auto& [k, v] : (*secret)["data"].items()) pems += k.ends_with(".pem") ? 1 : 0;
  EXPECT_EQ(pems, 1);

  int forbidden = 0;
  h.client().setFault(
      [&](const std::string& verb, const std::string& plural, const std::string&) -> ctrl::Status {
        if (plural != "secrets" || verb != "create") return ctrl::Status::ok();
        ++forbidden;
        return ctrl::Status(ctrl::Code::kForbidden, "secrets is forbidden");
      });
  h.options().ns = "keys-forbidden";
  auto refusedStart = st::Operator::create(h.options(), deps);
  ASSERT_FALSE(refusedStart.isOk());
  EXPECT_EQ(refusedStart.status().code(), ctrl::Code::kForbidden);
  EXPECT_EQ(forbidden, 1) << "a permanent refusal was retried";
}

}  // namespace
}  // namespace sttest
