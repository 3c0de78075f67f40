#include "token/public_key.h"

#include <gtest/gtest.h>

#include <string>

#include "token/signing_key.h"
#include "token_test_util.h"

namespace {

using ctrl::Json;
using sttest::decodeB64Url;

st::PublicKey rfc7515Key() {
  auto key = st::PublicKey::fromCoordinates(
      st::KeyAlgorithm::kEs256, decodeB64Url(sttest::kRfc7515X), decodeB64Url(sttest::kRfc7515Y));
  EXPECT_TRUE(key.isOk()) << key.status().toString();
  return std::move(key).value();
}

TEST(KeyAlgorithmTest, NamesAndParsing) {
  EXPECT_EQ(st::jwsAlgorithm(st::KeyAlgorithm::kEd25519), "EdDSA");
  EXPECT_EQ(st::jwsAlgorithm(st::KeyAlgorithm::kEs256), "ES256");
  EXPECT_EQ(st::keyAlgorithmName(st::KeyAlgorithm::kEd25519), "Ed25519");
  EXPECT_EQ(*st::parseKeyAlgorithm("Ed25519"), st::KeyAlgorithm::kEd25519);
  EXPECT_EQ(*st::parseKeyAlgorithm("EdDSA"), st::KeyAlgorithm::kEd25519);
  EXPECT_EQ(*st::parseKeyAlgorithm("ES256"), st::KeyAlgorithm::kEs256);
  EXPECT_FALSE(st::parseKeyAlgorithm("RS256").isOk());
  EXPECT_FALSE(st::parseKeyAlgorithm("none").isOk());
}

TEST(PublicKeyTest, Ed25519ThumbprintMatchesRfc8037) {
  auto key = st::PublicKey::fromCoordinates(st::KeyAlgorithm::kEd25519,
                                            decodeB64Url(sttest::kRfc8037X), {});
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  EXPECT_EQ(key->thumbprint(), sttest::kRfc8037Thumbprint);
  EXPECT_EQ(key->kid(), sttest::kRfc8037Thumbprint);  // empty kid defaults to the thumbprint
}

TEST(PublicKeyTest, P256ThumbprintMatchesIndependentComputation) {
  EXPECT_EQ(rfc7515Key().thumbprint(), sttest::kRfc7515Thumbprint);
}

TEST(PublicKeyTest, VerifiesRfc8037Ed25519Signature) {
  auto key = st::PublicKey::fromCoordinates(st::KeyAlgorithm::kEd25519,
                                            decodeB64Url(sttest::kRfc8037X), {});
  ASSERT_TRUE(key.isOk());
  const std::string signature = decodeB64Url(sttest::kRfc8037Signature);
  EXPECT_TRUE(key->verify(sttest::kRfc8037SigningInput, signature).isOk());

  std::string tampered = signature;
  tampered[5] = static_cast<char>(tampered[5] ^ 1);
  const ctrl::Status status = key->verify(sttest::kRfc8037SigningInput, tampered);
  EXPECT_EQ(status.code(), ctrl::Code::kUnauthorized);
  EXPECT_FALSE(key->verify("eyJhbGciOiJFZERTQSJ9.other", signature).isOk());
}

TEST(PublicKeyTest, VerifiesRfc7515Es256RawSignature) {
  const st::PublicKey key = rfc7515Key();
  const std::string signature = decodeB64Url(sttest::kRfc7515Signature);
  ASSERT_EQ(signature.size(), 64u);
  EXPECT_TRUE(key.verify(sttest::kRfc7515SigningInput, signature).isOk());

  std::string tampered = signature;
  tampered[40] = static_cast<char>(tampered[40] ^ 0x80);  // in s
  EXPECT_EQ(key.verify(sttest::kRfc7515SigningInput, tampered).code(), ctrl::Code::kUnauthorized);
  // DER or truncated signatures are not JOSE signatures.
  EXPECT_FALSE(key.verify(sttest::kRfc7515SigningInput, signature.substr(0, 63)).isOk());
  EXPECT_FALSE(key.verify(sttest::kRfc7515SigningInput, std::string(64, '\0')).isOk());
}

TEST(PublicKeyTest, RejectsPointsOffTheCurveAndWrongLengths) {
  std::string y = decodeB64Url(sttest::kRfc7515Y);
  y[31] = static_cast<char>(y[31] ^ 1);
  auto off =
      st::PublicKey::fromCoordinates(st::KeyAlgorithm::kEs256, decodeB64Url(sttest::kRfc7515X), y);
  EXPECT_FALSE(off.isOk());
  EXPECT_FALSE(
      st::PublicKey::fromCoordinates(st::KeyAlgorithm::kEd25519, std::string(31, 'a'), {}).isOk());
  EXPECT_FALSE(
      st::PublicKey::fromCoordinates(st::KeyAlgorithm::kEs256, std::string(32, 'a'), {}).isOk());
}

TEST(PublicKeyTest, JwkRoundTripsForBothAlgorithms) {
  for (st::KeyAlgorithm alg : {st::KeyAlgorithm::kEd25519, st::KeyAlgorithm::kEs256}) {
    auto signer = st::SigningKey::generate(alg);
    ASSERT_TRUE(signer.isOk());
    const Json jwk = signer->publicKey().toJwk();
    EXPECT_EQ(jwk.at("kid"), signer->kid());
    EXPECT_EQ(jwk.at("alg"), st::jwsAlgorithm(alg));
    EXPECT_EQ(jwk.at("use"), "sig");
    EXPECT_FALSE(jwk.contains("d"));
    if (alg == st::KeyAlgorithm::kEd25519) {
      EXPECT_EQ(jwk.at("kty"), "OKP");
      EXPECT_EQ(jwk.at("crv"), "Ed25519");
      EXPECT_FALSE(jwk.contains("y"));
    } else {
      EXPECT_EQ(jwk.at("kty"), "EC");
      EXPECT_EQ(jwk.at("crv"), "P-256");
      EXPECT_EQ(decodeB64Url(jwk.at("y").get<std::string>()).size(), 32u);
    }
    EXPECT_EQ(decodeB64Url(jwk.at("x").get<std::string>()).size(), 32u);

    auto parsed = st::PublicKey::fromJwk(jwk);
    ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
    EXPECT_EQ(parsed->kid(), signer->kid());
    EXPECT_EQ(parsed->algorithm(), alg);
    EXPECT_EQ(parsed->toJwk(), jwk);
  }
}

TEST(PublicKeyTest, FromJwkRejectsUnsafeOrInconsistentKeys) {
  auto signer = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  ASSERT_TRUE(signer.isOk());
  const Json good = signer->publicKey().toJwk();

  Json withPrivate = good;
  withPrivate["d"] = sttest::kRfc8037D;
  Json wrongAlg = good;
  wrongAlg["alg"] = "ES256";
  Json encryption = good;
  encryption["use"] = "enc";
  Json noKid = good;
  noKid.erase("kid");
  Json badX = good;
  badX["x"] = "not base64url!";
  Json rsa = {{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}, {"kid", "r"}};
  for (const Json& bad : {withPrivate, wrongAlg, encryption, noKid, badX, rsa}) {
    auto parsed = st::PublicKey::fromJwk(bad);
    EXPECT_FALSE(parsed.isOk()) << bad.dump();
    if (!parsed.isOk()) {
      EXPECT_EQ(parsed.status().code(), ctrl::Code::kInvalidArgument);
      EXPECT_EQ(parsed.status().message().find(sttest::kRfc8037D), std::string::npos);
    }
  }
  EXPECT_TRUE(st::PublicKey::isSupportedJwk(good));
  EXPECT_FALSE(st::PublicKey::isSupportedJwk(rsa));
  EXPECT_FALSE(st::PublicKey::isSupportedJwk(Json::array()));
}

}  // namespace
