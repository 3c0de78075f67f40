// OIDC discovery: the document names the issuer and a jwks_uri the verifier
// serves; paths under an issuer with a path.
#include "verifier/discovery.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "controller/json.h"

namespace {

using ::testing::ElementsAre;

TEST(Discovery, TheDocumentNamesTheIssuerAndJwksUri) {
  auto doc = ctrl::parseJson(st::verifier::discoveryDocument("https://verifier.example.com"));
  ASSERT_TRUE(doc.isOk());
  EXPECT_EQ((*doc)["issuer"], "https://verifier.example.com");
  EXPECT_EQ((*doc)["jwks_uri"], "https://verifier.example.com/openid/v1/jwks");
  EXPECT_EQ((*doc)["id_token_signing_alg_values_supported"], ctrl::Json::array({"EdDSA", "ES256"}));
  EXPECT_TRUE(doc->contains("response_types_supported"));
  EXPECT_TRUE(doc->contains("subject_types_supported"));
}

TEST(Discovery, AnIssuerWithAPathIsServedUnderItToo) {
  EXPECT_EQ(st::verifier::jwksUri("https://h.example/auth/"),
            "https://h.example/auth/openid/v1/jwks");
  EXPECT_THAT(
      st::verifier::discoveryPaths("https://h.example/auth"),
      ElementsAre("/.well-known/openid-configuration", "/auth/.well-known/openid-configuration"));
  EXPECT_THAT(st::verifier::jwksPaths("https://h.example/auth"),
              ElementsAre("/openid/v1/jwks", "/auth/openid/v1/jwks"));
  EXPECT_THAT(st::verifier::discoveryPaths("https://h.example"),
              ElementsAre("/.well-known/openid-configuration"));
  EXPECT_THAT(st::verifier::jwksPaths("https://h.example"), ElementsAre("/openid/v1/jwks"));
}

}  // namespace
