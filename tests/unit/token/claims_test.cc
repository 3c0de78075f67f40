#include "token/claims.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "token_test_util.h"

namespace {

using ctrl::Json;

TEST(ClaimsTest, EncodesEveryClaimOfTheSpec) {
  const Json json = st::claimsToJson(sttest::sampleClaims());
  EXPECT_EQ(json.at("iss"), "https://servicetoken.dev/test");
  EXPECT_EQ(json.at("sub"), "pipeline_automation@service");
  EXPECT_EQ(json.at("name"), "Airflow Service User");
  EXPECT_EQ(json.at("email"), "airflow@example.com");
  EXPECT_EQ(json.at("iat"), 1700000000);
  EXPECT_EQ(json.at("exp"), 1700000000 + 30 * 86400);
  EXPECT_EQ(json.at("jti"), "000102030405060708090a0b0c0d0e0f");
  EXPECT_EQ(json.at("token_use"), "service");
  EXPECT_EQ(json.at("scope"), "api");
  EXPECT_EQ(json.at("aud"), "https://api.example.com");
  EXPECT_EQ(json.size(), 10u);
}

TEST(ClaimsTest, NeverExpiringTokenHasNoExp) {
  st::TokenClaims claims = sttest::sampleClaims();
  claims.expiresAt.reset();
  claims.email.reset();
  const Json json = st::claimsToJson(claims);
  EXPECT_FALSE(json.contains("exp"));
  EXPECT_FALSE(json.contains("email"));

  auto decoded = st::claimsFromJson(json);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_FALSE(decoded->expiresAt.has_value());
  EXPECT_EQ(*decoded, claims);
}

TEST(ClaimsTest, PersonalScimValuesRoundTrip) {
  st::TokenClaims claims = sttest::sampleClaims();
  claims.use = st::TokenUse::kPersonal;
  claims.scope = st::TokenScope::kScim;
  const Json json = st::claimsToJson(claims);
  EXPECT_EQ(json.at("token_use"), "personal");
  EXPECT_EQ(json.at("scope"), "scim");
  auto decoded = st::claimsFromJson(json);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_EQ(*decoded, claims);
}

TEST(ClaimsTest, RejectsMissingOrMistypedClaimsWithoutQuotingValues) {
  const Json good = st::claimsToJson(sttest::sampleClaims());
  struct Case {
    const char* claim;
    Json value;  // null: remove the claim
  };
  for (const Case& c :
       {Case{"iss", nullptr}, Case{"sub", 42}, Case{"jti", nullptr},
        Case{"aud", Json::array({"a", "b"})}, Case{"iat", "yesterday"}, Case{"iat", 1.5},
        Case{"exp", -1}, Case{"exp", 253402300800LL}, Case{"token_use", "robot"},
        Case{"scope", "admin"}, Case{"email", 7}, Case{"name", nullptr}}) {
    Json bad = good;
    if (c.value.is_null()) {
      bad.erase(c.claim);
    } else {
      bad[c.claim] = c.value;
    }
    auto decoded = st::claimsFromJson(bad);
    ASSERT_FALSE(decoded.isOk()) << c.claim;
    EXPECT_EQ(decoded.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_NE(decoded.status().message().find(c.claim), std::string::npos)
        << decoded.status().message();
    if (c.value.is_string()) {
      EXPECT_EQ(decoded.status().message().find(c.value.get<std::string>()), std::string::npos);
    }
  }
  EXPECT_FALSE(st::claimsFromJson(Json::array()).isOk());
}

TEST(ClaimsTest, IgnoresUnknownClaims) {
  Json json = st::claimsToJson(sttest::sampleClaims());
  json["nbf"] = 1;
  json["extra"] = {{"nested", true}};
  auto decoded = st::claimsFromJson(json);
  ASSERT_TRUE(decoded.isOk()) << decoded.status().toString();
  EXPECT_EQ(*decoded, sttest::sampleClaims());
}

TEST(TokenIdTest, IsSixteenBytesFromTheRandomSourceAsHex) {
  sttest::CountingRandomSource random;
  auto first = st::newTokenId(random);
  ASSERT_TRUE(first.isOk());
  EXPECT_EQ(*first, "000102030405060708090a0b0c0d0e0f");
  auto second = st::newTokenId(random);
  ASSERT_TRUE(second.isOk());
  EXPECT_EQ(*second, "101112131415161718191a1b1c1d1e1f");
}

TEST(TokenIdTest, RealSourceGives128BitsDifferentEachCall) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    auto id = st::newTokenId(st::OpenSslRandomSource::instance());
    ASSERT_TRUE(id.isOk()) << id.status().toString();
    ASSERT_EQ(id->size(), 32u);  // 128 bits
    EXPECT_EQ(id->find_first_not_of("0123456789abcdef"), std::string::npos) << *id;
    seen.insert(*id);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(TokenIdTest, ReportsAFailingSource) {
  sttest::FailingRandomSource random;
  auto id = st::newTokenId(random);
  ASSERT_FALSE(id.isOk());
  EXPECT_EQ(id.status().code(), ctrl::Code::kInternal);
}

}  // namespace
