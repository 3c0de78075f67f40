// Bearer extraction (RFC 6750 §2.1): scheme case, whitespace, b64token
// characters, and the early size limit.
#include "verifier/bearer.h"

#include <gtest/gtest.h>

#include <string>

namespace {

using st::verifier::BearerResult;
using st::verifier::extractBearer;

TEST(Bearer, TakesTheTokenAfterTheScheme) {
  auto b = extractBearer("Bearer abc.DEF-_~+/.xyz==");
  ASSERT_EQ(b.result, BearerResult::kOk);
  EXPECT_EQ(b.token, "abc.DEF-_~+/.xyz==");
}

TEST(Bearer, TheSchemeIsCaseInsensitiveAndWhitespaceAroundIsIgnored) {
  for (const char* header :
       {"bearer t0k.en", "BEARER t0k.en", "  Bearer   t0k.en\t ", "Bearer\tt0k.en"}) {
    auto b = extractBearer(header);
    ASSERT_EQ(b.result, BearerResult::kOk) << header;
    EXPECT_EQ(b.token, "t0k.en") << header;
  }
}

TEST(Bearer, NoHeaderOrAnotherSchemeCountsAsMissing) {
  for (const char* header : {"", "   ", "Basic dXNlcjpwYXNz", "Bearerish abc", "Token abc"}) {
    EXPECT_EQ(extractBearer(header).result, BearerResult::kMissing) << header;
  }
}

TEST(Bearer, ASchemeWithoutATokenOrWithForeignCharactersIsMalformed) {
  for (const char* header : {"Bearer", "Bearer ", "Bearer a b", "Bearer a,b", "Bearer =abc",
                             "Bearer ab=c", "Bearer a\"b",
                             "Bearer a\x01"
                             "b",
                             "Bearer ab\xc3\xa9"}) {
    EXPECT_EQ(extractBearer(header).result, BearerResult::kMalformed) << header;
  }
}

TEST(Bearer, AHeaderLongerThanTheLimitIsRefusedBeforeParsing) {
  std::string header = "Bearer " + std::string(st::verifier::kMaxAuthorizationBytes, 'a');
  EXPECT_EQ(extractBearer(header).result, BearerResult::kTooLarge);
  // At the limit it is still read.
  header.resize(st::verifier::kMaxAuthorizationBytes);
  EXPECT_EQ(extractBearer(header).result, BearerResult::kOk);
}

}  // namespace
