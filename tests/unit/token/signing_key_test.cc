#include "token/signing_key.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "token_test_util.h"

namespace {

using sttest::decodeB64Url;

class SigningKeyTest : public ::testing::TestWithParam<st::KeyAlgorithm> {};

TEST(SigningKeyRfcTest, Ed25519SeedGivesRfc8037PublicKeyKidAndSignature) {
  auto key = st::SigningKey::fromEd25519Seed(decodeB64Url(sttest::kRfc8037D));
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  EXPECT_EQ(key->kid(), sttest::kRfc8037Thumbprint);
  EXPECT_EQ(key->publicKey().toJwk().at("x"), sttest::kRfc8037X);

  auto signature = key->sign(sttest::kRfc8037SigningInput);
  ASSERT_TRUE(signature.isOk());
  EXPECT_EQ(st::base64UrlEncode(*signature), sttest::kRfc8037Signature);
}

TEST(SigningKeyRfcTest, SeedMustBe32Bytes) {
  EXPECT_FALSE(st::SigningKey::fromEd25519Seed(std::string(31, 'x')).isOk());
}

TEST_P(SigningKeyTest, SignaturesAre64BytesAndVerify) {
  auto key = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(key.isOk()) << key.status().toString();
  EXPECT_EQ(key->algorithm(), GetParam());
  for (int i = 0; i < 20; ++i) {  // ECDSA r/s with leading zero bytes must still be 32+32
    const std::string input = "header.payload-" + std::to_string(i);
    auto signature = key->sign(input);
    ASSERT_TRUE(signature.isOk()) << signature.status().toString();
    ASSERT_EQ(signature->size(), 64u);
    EXPECT_TRUE(key->publicKey().verify(input, *signature).isOk());
    EXPECT_FALSE(key->publicKey().verify(input + "x", *signature).isOk());
  }
}

TEST_P(SigningKeyTest, KidIsAStableThumbprint) {
  auto key = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(key.isOk());
  EXPECT_EQ(key->kid(), key->publicKey().thumbprint());
  EXPECT_EQ(key->kid().size(), 43u);  // base64url of 32 bytes
  auto other = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(other.isOk());
  EXPECT_NE(key->kid(), other->kid());
}

TEST_P(SigningKeyTest, PemRoundTripKeepsKeyAndKid) {
  auto key = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(key.isOk());
  auto pem = key->toPem();
  ASSERT_TRUE(pem.isOk()) << pem.status().toString();
  EXPECT_EQ(pem->reveal().rfind("-----BEGIN PRIVATE KEY-----\n", 0), 0u);  // PKCS#8

  auto loaded = st::SigningKey::fromPem(pem->reveal());
  ASSERT_TRUE(loaded.isOk()) << loaded.status().toString();
  EXPECT_EQ(loaded->kid(), key->kid());
  EXPECT_EQ(loaded->algorithm(), GetParam());
  // Same private key: what one signs the other's public key verifies.
  auto signature = loaded->sign("input");
  ASSERT_TRUE(signature.isOk());
  EXPECT_TRUE(key->publicKey().verify("input", *signature).isOk());
  // And re-encoding gives the same document.
  auto again = loaded->toPem();
  ASSERT_TRUE(again.isOk());
  EXPECT_TRUE(*again == *pem);
}

// One key, and its copies, sign from several threads at once (workers
// minting in parallel share the set-up signing context): every signature
// verifies, and for Ed25519 equals the one signed alone (deterministic).
TEST_P(SigningKeyTest, SigningFromManyThreadsAtOnceGivesValidSignatures) {
  auto key = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(key.isOk());
  const st::SigningKey copy = *key;
  constexpr int kThreads = 8;
  constexpr int kEach = 50;
  std::vector<std::vector<std::string>> signatures(kThreads);
  {
    std::vector<std::jthread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        const st::SigningKey& signer = t % 2 == 0 ? *key : copy;
        for (int i = 0; i < kEach; ++i) {
          auto signature = signer.sign("input-" + std::to_string(i));
          signatures[t].push_back(signature.isOk() ? *signature : std::string());
        }
      });
    }
  }
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_EQ(signatures[t].size(), static_cast<size_t>(kEach));
    for (int i = 0; i < kEach; ++i) {
      const std::string input = "input-" + std::to_string(i);
      EXPECT_TRUE(key->publicKey().verify(input, signatures[t][i]).isOk()) << t << "/" << i;
      if (GetParam() == st::KeyAlgorithm::kEd25519) {
        auto alone = key->sign(input);
        ASSERT_TRUE(alone.isOk());
        EXPECT_EQ(signatures[t][i], *alone) << t << "/" << i;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, SigningKeyTest,
                         ::testing::Values(st::KeyAlgorithm::kEd25519, st::KeyAlgorithm::kEs256),
                         sttest::algorithmName);

// The PEM body lines of `pem` (the key material), for leak checks.
std::vector<std::string> bodyLines(std::string_view pem) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < pem.size()) {
    size_t end = pem.find('\n', start);
    if (end == std::string_view::npos) end = pem.size();
    std::string line(pem.substr(start, end - start));
    if (!line.empty() && line.rfind("-----", 0) != 0) lines.push_back(line);
    start = end + 1;
  }
  return lines;
}

void expectNoKeyMaterial(const ctrl::Status& status, std::string_view pem) {
  for (const std::string& line : bodyLines(pem)) {
    for (size_t i = 0; i + 8 <= line.size(); i += 4) {
      EXPECT_EQ(status.message().find(line.substr(i, 8)), std::string::npos)
          << "error message contains key material";
    }
  }
}

TEST(SigningKeyPemTest, MalformedPemIsRejectedWithoutKeyBytes) {
  auto key = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  ASSERT_TRUE(key.isOk());
  auto pem = key->toPem();
  ASSERT_TRUE(pem.isOk());
  const std::string good(pem->reveal());

  std::string corrupted = good;
  corrupted[good.find('\n') + 10] = '*';  // not base64
  std::string truncated = good.substr(0, good.size() / 2);
  std::string noHeader = good.substr(good.find('\n') + 1);
  std::string trailing = good + good;  // two keys
  std::string flipped = good;
  const size_t at = good.find('\n') + 40;
  flipped[at] = flipped[at] == 'A' ? 'B' : 'A';  // valid base64, broken DER or key

  for (const std::string& bad : {corrupted, truncated, noHeader, trailing, flipped}) {
    auto loaded = st::SigningKey::fromPem(bad);
    ASSERT_FALSE(loaded.isOk());
    EXPECT_EQ(loaded.status().code(), ctrl::Code::kInvalidArgument);
    EXPECT_NE(loaded.status().message().find("signing key"), std::string::npos)
        << loaded.status().message();
    expectNoKeyMaterial(loaded.status(), good);
  }
  EXPECT_FALSE(st::SigningKey::fromPem("").isOk());
  EXPECT_FALSE(st::SigningKey::fromPem(std::string(st::SigningKey::kMaxPemBytes + 1, 'A')).isOk());
}

// A label only the pre-3.0 PEM readers accept ("ec PRIVATE KEY") used to load
// as a legacy key whose public point could not be read: an Internal error
// where the input is at fault (found by fuzz_pem).
TEST(SigningKeyPemTest, NonstandardLabelIsInvalidArgument) {
  auto key = st::SigningKey::generate(st::KeyAlgorithm::kEs256);
  ASSERT_TRUE(key.isOk());
  auto pem = key->toPem();
  ASSERT_TRUE(pem.isOk());
  std::string lower(pem->reveal());
  for (const std::string edge : {"BEGIN ", "END "}) {
    const size_t at = lower.find(edge + "PRIVATE KEY");
    ASSERT_NE(at, std::string::npos);
    lower.insert(at + edge.size(), "ec ");
  }
  auto loaded = st::SigningKey::fromPem(lower);
  ASSERT_FALSE(loaded.isOk());
  EXPECT_EQ(loaded.status().code(), ctrl::Code::kInvalidArgument) << loaded.status().message();
  expectNoKeyMaterial(loaded.status(), pem->reveal());
  // The same key under its standard label loads.
  EXPECT_TRUE(st::SigningKey::fromPem(pem->reveal()).isOk());
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};

std::string pemOf(EVP_PKEY* key, const EVP_CIPHER* cipher = nullptr) {
  std::unique_ptr<BIO, decltype(&BIO_free)> bio(BIO_new(BIO_s_mem()), BIO_free);
  char password[] = "password";
  EXPECT_EQ(PEM_write_bio_PKCS8PrivateKey(bio.get(), key, cipher, cipher ? password : nullptr,
                                          cipher ? 8 : 0, nullptr, nullptr),
            1);
  char* data = nullptr;
  const long length = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(length));
}

TEST(SigningKeyPemTest, RejectsUnsupportedAndEncryptedKeys) {
  std::unique_ptr<EVP_PKEY, PkeyFree> p384(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-384"));
  std::unique_ptr<EVP_PKEY, PkeyFree> x25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "X25519"));
  std::unique_ptr<EVP_PKEY, PkeyFree> ed25519(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  ASSERT_TRUE(p384 && x25519 && ed25519);

  for (const std::string& pem : {pemOf(p384.get()), pemOf(x25519.get())}) {
    auto loaded = st::SigningKey::fromPem(pem);
    ASSERT_FALSE(loaded.isOk());
    EXPECT_NE(loaded.status().message().find("unsupported key type"), std::string::npos)
        << loaded.status().message();
  }
  const std::string encrypted = pemOf(ed25519.get(), EVP_aes_256_cbc());
  auto loaded = st::SigningKey::fromPem(encrypted);
  ASSERT_FALSE(loaded.isOk());
  EXPECT_NE(loaded.status().message().find("unencrypted"), std::string::npos);
  // The unencrypted form of the same key is fine.
  EXPECT_TRUE(st::SigningKey::fromPem(pemOf(ed25519.get())).isOk());
}

}  // namespace
