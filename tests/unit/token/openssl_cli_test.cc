// Interoperability: tokens signed here verify with the `openssl` command-line
// tool, an implementation independent of our JOSE code (the signature
// encoding, the signing input and the PKCS#8 PEM all have to be right).
#include <gtest/gtest.h>
#include <openssl/bn.h>
#include <openssl/ecdsa.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "subprocess.h"
#include "token/jwt.h"
#include "token_test_util.h"

namespace {

namespace fs = std::filesystem;

void writeFile(const fs::path& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

// JOSE r||s -> DER, as `openssl dgst -verify` expects for ECDSA.
std::string rawToDer(const std::string& raw) {
  ECDSA_SIG* sig = ECDSA_SIG_new();
  const auto* bytes = reinterpret_cast<const unsigned char*>(raw.data());
  ECDSA_SIG_set0(sig, BN_bin2bn(bytes, 32, nullptr), BN_bin2bn(bytes + 32, 32, nullptr));
  unsigned char* der = nullptr;
  const int length = i2d_ECDSA_SIG(sig, &der);
  std::string out(reinterpret_cast<char*>(der), static_cast<size_t>(length));
  OPENSSL_free(der);
  ECDSA_SIG_free(sig);
  return out;
}

class OpensslCliTest : public ::testing::TestWithParam<st::KeyAlgorithm> {
 protected:
  void SetUp() override {
    if (sttest::runProcess({"openssl", "version"}).exitCode != 0) {
      GTEST_SKIP() << "openssl command not available";
    }
    dir_ = fs::temp_directory_path() / ("st-token-openssl-" + std::to_string(::getpid()) + "-" +
                                        std::string(st::keyAlgorithmName(GetParam())));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
  fs::path dir_;
};

TEST_P(OpensslCliTest, VerifiesOurSignature) {
  auto key = st::SigningKey::generate(GetParam());
  ASSERT_TRUE(key.isOk());
  auto pem = key->toPem();
  ASSERT_TRUE(pem.isOk());
  auto token = st::signJwt(sttest::sampleClaims(), *key);
  ASSERT_TRUE(token.isOk());
  const std::string_view jwt = token->reveal();
  const size_t lastDot = jwt.rfind('.');
  const std::string input(jwt.substr(0, lastDot));
  std::string signature = sttest::decodeB64Url(jwt.substr(lastDot + 1));
  ASSERT_EQ(signature.size(), 64u);

  const fs::path keyFile = dir_ / "key.pem";
  const fs::path pubFile = dir_ / "pub.pem";
  const fs::path inputFile = dir_ / "input";
  const fs::path sigFile = dir_ / "sig";
  writeFile(keyFile, pem->reveal());
  writeFile(inputFile, input);
  auto pub = sttest::runProcess(
      {"openssl", "pkey", "-in", keyFile.string(), "-pubout", "-out", pubFile.string()});
  ASSERT_EQ(pub.exitCode, 0) << pub.err;

  auto verifyWith = [&](const std::string& sig) {
    writeFile(sigFile, sig);
    if (GetParam() == st::KeyAlgorithm::kEd25519) {
      return sttest::runProcess({"openssl", "pkeyutl", "-verify", "-pubin", "-inkey",
                                 pubFile.string(), "-rawin", "-in", inputFile.string(), "-sigfile",
                                 sigFile.string()});
    }
    return sttest::runProcess({"openssl", "dgst", "-sha256", "-verify", pubFile.string(),
                               "-signature", sigFile.string(), inputFile.string()});
  };
  const bool ecdsa = GetParam() == st::KeyAlgorithm::kEs256;
  auto good = verifyWith(ecdsa ? rawToDer(signature) : signature);
  EXPECT_EQ(good.exitCode, 0) << good.out << good.err;

  signature[3] = static_cast<char>(signature[3] ^ 1);
  auto bad = verifyWith(ecdsa ? rawToDer(signature) : signature);
  EXPECT_NE(bad.exitCode, 0) << "openssl accepted a tampered signature";
}

INSTANTIATE_TEST_SUITE_P(Algorithms, OpensslCliTest,
                         ::testing::Values(st::KeyAlgorithm::kEd25519, st::KeyAlgorithm::kEs256),
                         sttest::algorithmName);

}  // namespace
