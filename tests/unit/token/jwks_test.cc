#include "token/jwks.h"

#include <gtest/gtest.h>

#include <string>

#include "token/signing_key.h"
#include "token_test_util.h"

namespace {

using ctrl::Json;

std::vector<st::SigningKey> twoKeys() {
  auto ed = st::SigningKey::generate(st::KeyAlgorithm::kEd25519);
  auto ec = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  EXPECT_TRUE(ed.isOk() && ec.isOk());
  return {*ed, *ec};
}

TEST(JwksTest, DocumentListsEveryKeyAndParsesBack) {
  const auto keys = twoKeys();
  auto jwks = st::Jwks::fromKeys({keys[0].publicKey(), keys[1].publicKey()});
  ASSERT_TRUE(jwks.isOk());
  const Json doc = Json::parse(jwks->toString());
  ASSERT_EQ(doc.at("keys").size(), 2u);
  EXPECT_EQ(doc.at("keys")[0].at("kid"), keys[0].kid());
  EXPECT_EQ(doc.at("keys")[1].at("kid"), keys[1].kid());
  EXPECT_EQ(doc.size(), 1u);

  auto parsed = st::Jwks::parse(jwks->toString());
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  ASSERT_EQ(parsed->keys().size(), 2u);
  ASSERT_NE(parsed->find(keys[1].kid()), nullptr);
  EXPECT_EQ(parsed->find(keys[1].kid())->algorithm(), st::KeyAlgorithm::kEs256);
  EXPECT_EQ(parsed->find("no-such-kid"), nullptr);
  EXPECT_EQ(parsed->toJson(), doc);
}

TEST(JwksTest, SkipsUnsupportedKeyTypes) {
  const auto keys = twoKeys();
  Json doc = {{"keys", Json::array({{{"kty", "RSA"}, {"n", "AQAB"}, {"e", "AQAB"}, {"kid", "r"}},
                                    keys[0].publicKey().toJwk()})}};
  auto parsed = st::Jwks::parse(doc.dump());
  ASSERT_TRUE(parsed.isOk()) << parsed.status().toString();
  EXPECT_EQ(parsed->keys().size(), 1u);
  EXPECT_EQ(parsed->find("r"), nullptr);
}

TEST(JwksTest, RejectsDuplicatesAndMalformedDocuments) {
  const auto keys = twoKeys();
  const Json jwk = keys[0].publicKey().toJwk();
  Json broken = jwk;
  broken["x"] = "AAAA";
  std::string deep(100, '[');
  deep += std::string(100, ']');
  for (const std::string& bad :
       {Json{{"keys", Json::array({jwk, jwk})}}.dump(),
        Json{{"keys", Json::array({broken})}}.dump(), Json{{"keys", "none"}}.dump(),
        std::string("[]"), std::string("{"), deep, std::string(st::Jwks::kMaxBytes + 1, ' ')}) {
    auto parsed = st::Jwks::parse(bad);
    EXPECT_FALSE(parsed.isOk()) << bad.substr(0, 80);
    if (!parsed.isOk()) {
      EXPECT_EQ(parsed.status().code(), ctrl::Code::kInvalidArgument);
    }
  }
  EXPECT_FALSE(st::Jwks::fromKeys({keys[0].publicKey(), keys[0].publicKey()}).isOk());
}

}  // namespace
