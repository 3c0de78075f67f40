#include "token/key_store.h"

#include <gtest/gtest.h>

#include <string>

#include "token/jwt.h"
#include "token_test_util.h"

namespace {

st::SigningKeyRing twoKeyRing() {
  auto ed = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  auto ec = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  EXPECT_TRUE(ed.isOk() && ec.isOk());
  auto ring = st::SigningKeyRing::create({*ed, *ec}, ec->kid());
  EXPECT_TRUE(ring.isOk()) << ring.status().toString();
  return std::move(ring).value();
}

TEST(KeyStoreTest, GenerateMakesOneActiveKeyOfTheAlgorithm) {
  for (st::KeyAlgorithm alg : {st::KeyAlgorithm::kEd25519, st::KeyAlgorithm::kEs256}) {
    auto ring = st::SigningKeyRing::generate(alg);
    ASSERT_TRUE(ring.isOk()) << ring.status().toString();
    ASSERT_EQ(ring->keys().size(), 1u);
    EXPECT_EQ(ring->active().algorithm(), alg);
  }
}

TEST(KeyStoreTest, SecretDataLayout) {
  const st::SigningKeyRing ring = twoKeyRing();
  auto data = ring.toSecretData();
  ASSERT_TRUE(data.isOk()) << data.status().toString();
  ASSERT_EQ(data->size(), 3u);
  EXPECT_EQ(data->at("active-kid").reveal(), ring.active().kid());
  for (const st::SigningKey& key : ring.keys()) {
    const auto it = data->find(key.kid() + ".pem");
    ASSERT_NE(it, data->end());
    EXPECT_EQ(it->second.reveal().rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);
  }
}

TEST(KeyStoreTest, SecretDataRoundTripKeepsKeysAndActiveKid) {
  const st::SigningKeyRing ring = twoKeyRing();
  auto data = ring.toSecretData();
  ASSERT_TRUE(data.isOk());
  (*data)["unrelated-entry"] = st::SecretString(std::string_view("ignored"));

  auto loaded = st::SigningKeyRing::fromSecretData(*data);
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->active().kid(), ring.active().kid());
  ASSERT_EQ(loaded->keys().size(), 2u);
  EXPECT_EQ(loaded->jwks().toJson(), ring.jwks().toJson());

  // A token signed before the restart verifies with the reloaded JWKS, and
  // one signed after verifies with the JWKS published before.
  auto before = st::signJwt(sttest::sampleClaims(), ring.active());
  auto after = st::signJwt(sttest::sampleClaims(), loaded->active());
  ASSERT_TRUE(before.isOk() && after.isOk());
  const ctrl::WallTime now(sttest::sampleClaims().issuedAt.time_since_epoch());
  EXPECT_TRUE(st::verifyJwt(before->reveal(), loaded->jwks(), now).isOk());
  EXPECT_TRUE(st::verifyJwt(after->reveal(), ring.jwks(), now).isOk());
}

TEST(KeyStoreTest, RejectsInconsistentSecretData) {
  const st::SigningKeyRing ring = twoKeyRing();
  auto good = ring.toSecretData();
  ASSERT_TRUE(good.isOk());
  const std::string activePem = std::string(good->at(ring.active().kid() + ".pem").reveal());

  st::SecretData noActive = *good;
  noActive.erase("active-kid");
  st::SecretData unknownActive = *good;
  unknownActive["active-kid"] = st::SecretString(std::string_view("nope"));
  st::SecretData noKeys;
  noKeys["active-kid"] = st::SecretString(std::string_view(ring.active().kid()));
  st::SecretData renamed = *good;  // a PEM stored under another key's kid
  const std::string& otherKid =
      ring.keys()[0].kid() == ring.active().kid() ? ring.keys()[1].kid() : ring.keys()[0].kid();
  renamed[otherKid + ".pem"] = st::SecretString(std::string_view(activePem));

  for (const st::SecretData* bad : {&noActive, &unknownActive, &noKeys, &renamed}) {
    auto loaded = st::SigningKeyRing::fromSecretData(*bad);
    ASSERT_FALSE(loaded.isOk());
    EXPECT_EQ(loaded.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_NE(loaded.status().message().find("signing-key Secret"), std::string::npos)
        << loaded.status().message();
  }
}

TEST(KeyStoreTest, MalformedPemNamesTheEntryButNotItsContent) {
  const st::SigningKeyRing ring = twoKeyRing();
  auto data = ring.toSecretData();
  ASSERT_TRUE(data.isOk());
  const std::string entry = ring.active().kid() + ".pem";
  std::string pem(data->at(entry).reveal());
  const std::string bodyStart = pem.substr(pem.find('\n') + 1, 24);
  pem.replace(pem.find('\n') + 30, 4, "!!!!");
  (*data)[entry] = st::SecretString(std::move(pem));

  auto loaded = st::SigningKeyRing::fromSecretData(*data);
  ASSERT_FALSE(loaded.isOk());
  EXPECT_NE(loaded.status().message().find(entry), std::string::npos) << loaded.status().message();
  EXPECT_EQ(loaded.status().message().find(bodyStart), std::string::npos) << "leaked key bytes";
}

TEST(KeyStoreTest, KeyOrderDoesNotChangeTheJwksDocument) {
  auto a = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  auto b = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  ASSERT_TRUE(a.isOk() && b.isOk());
  auto ab = st::SigningKeyRing::create({*a, *b}, a->kid());
  auto ba = st::SigningKeyRing::create({*b, *a}, a->kid());
  ASSERT_TRUE(ab.isOk() && ba.isOk());
  EXPECT_EQ(ab->jwks().toString(), ba->jwks().toString());
  EXPECT_EQ(ab->active().kid(), a->kid());
  EXPECT_EQ(ba->active().kid(), a->kid());
}

TEST(KeyStoreTest, CreateValidatesTheRing) {
  auto key = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  ASSERT_TRUE(key.isOk());
  EXPECT_FALSE(st::SigningKeyRing::create({}, "x").isOk());
  EXPECT_FALSE(st::SigningKeyRing::create({*key}, "other-kid").isOk());
  EXPECT_FALSE(st::SigningKeyRing::create({*key, *key}, key->kid()).isOk());
  EXPECT_TRUE(st::SigningKeyRing::create({*key}, key->kid()).isOk());
}

}  // namespace
