#include "token/encoding.h"

#include <gtest/gtest.h>

#include <string>

#include "token/token_hash.h"

namespace {

TEST(Base64UrlTest, EncodesRfc4648VectorsWithoutPadding) {
  EXPECT_EQ(st::base64UrlEncode(""), "");
  EXPECT_EQ(st::base64UrlEncode("f"), "Zg");
  EXPECT_EQ(st::base64UrlEncode("fo"), "Zm8");
  EXPECT_EQ(st::base64UrlEncode("foo"), "Zm9v");
  EXPECT_EQ(st::base64UrlEncode("foob"), "Zm9vYg");
  EXPECT_EQ(st::base64UrlEncode("fooba"), "Zm9vYmE");
  EXPECT_EQ(st::base64UrlEncode("foobar"), "Zm9vYmFy");
}

TEST(Base64UrlTest, UsesTheUrlSafeAlphabet) {
  // 0xfb 0xff encodes to "+/8" in standard base64.
  EXPECT_EQ(st::base64UrlEncode("\xfb\xff"), "-_8");
  auto decoded = st::base64UrlDecode("-_8");
  ASSERT_TRUE(decoded.isOk());
  EXPECT_EQ(*decoded, "\xfb\xff");
}

TEST(Base64UrlTest, RoundTripsEveryByteAndLength) {
  std::string all;
  for (int i = 0; i < 256; ++i) all.push_back(static_cast<char>(i));
  for (size_t length = 0; length <= all.size(); length += 7) {
    const std::string data = all.substr(0, length);
    auto decoded = st::base64UrlDecode(st::base64UrlEncode(data));
    ASSERT_TRUE(decoded.isOk()) << length;
    EXPECT_EQ(*decoded, data);
  }
}

TEST(Base64UrlTest, RejectsNonCanonicalInput) {
  for (const char* bad : {"Zg==",    // padding
                          "Zm9v+g",  // standard alphabet
                          "Zm9v/g",  // standard alphabet
                          "Zm9 v",   // whitespace
                          "Zm9vY",   // impossible length (4n+1)
                          "Zh",      // non-zero unused bits: "Zg" is the canonical form of "f"
                          "Zm9=v"}) {
    auto decoded = st::base64UrlDecode(bad);
    EXPECT_FALSE(decoded.isOk()) << bad;
    if (!decoded.isOk()) {
      EXPECT_EQ(decoded.status().code(), ctrl::Code::kInvalidArgument);
      EXPECT_EQ(decoded.status().message(), "not valid base64url");
    }
  }
}

TEST(HexTest, EncodesLowercase) {
  EXPECT_EQ(st::hexEncode(std::string("\x00\x01\xab\xff", 4)), "0001abff");
  EXPECT_EQ(st::hexEncode(""), "");
}

TEST(TokenHashTest, IsSha256HexWithPrefix) {
  // FIPS 180-2 test vectors.
  EXPECT_EQ(st::tokenHash("abc"),
            "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(st::tokenHash(""),
            "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(st::tokenHash(st::SecretString(std::string("abc"))), st::tokenHash("abc"));
}

TEST(TokenHashTest, DiffersForDifferentTokens) {
  EXPECT_NE(st::tokenHash("token-a"), st::tokenHash("token-b"));
}

}  // namespace
