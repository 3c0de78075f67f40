// parseKubeconfig / loadKubeconfig: what a valid file yields, and that every
// kind of bad input is a clear InvalidArgument/NotFound naming the field,
// never a crash and never an echo of key or token material.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>
#include <string>

#include "controller/rest_config.h"
#include "support/fake_clock.h"
#include "support/temp_dir.h"
#include "unit/rest/test_pki.h"

namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kToken = "tok-SENTINEL-5e1f0a9c";

const sttest::TestCert& caCert() {
  static const sttest::TestCert cert = sttest::makeSelfSignedCert("test-ca");
  return cert;
}
const sttest::TestCert& clientCert() {
  static const sttest::TestCert cert = sttest::makeSelfSignedCert("admin");
  return cert;
}
const sttest::TestCert& otherCert() {
  static const sttest::TestCert cert = sttest::makeSelfSignedCert("other");
  return cert;
}

void replaceAll(std::string& text, const std::string& from, const std::string& to) {
  for (size_t pos = 0; (pos = text.find(from, pos)) != std::string::npos; pos += to.size()) {
    text.replace(pos, from.size(), to);
  }
}

// Fills @CA@, @CERT@, @KEY@, @OTHER_KEY@ (base64) and @TOKEN@.
std::string fill(std::string text) {
  replaceAll(text, "@CA@", sttest::base64(caCert().certPem));
  replaceAll(text, "@CERT@", sttest::base64(clientCert().certPem));
  replaceAll(text, "@KEY@", sttest::base64(clientCert().keyPem));
  replaceAll(text, "@OTHER_KEY@", sttest::base64(otherCert().keyPem));
  replaceAll(text, "@TOKEN@", kToken);
  return text;
}

// Fails when `message` carries any of the secrets the documents contain.
void expectNoSecrets(const std::string& message) {
  EXPECT_THAT(message, Not(HasSubstr(kToken)));
  EXPECT_THAT(message, Not(HasSubstr("PRIVATE KEY")));
  for (const std::string* key : {&clientCert().keyPem, &otherCert().keyPem}) {
    // A slice of the PEM body and of its base64 form.
    const std::string body = key->substr(key->find('\n') + 1, 24);
    EXPECT_THAT(message, Not(HasSubstr(body)));
    EXPECT_THAT(message, Not(HasSubstr(sttest::base64(*key).substr(30, 24))));
  }
}

ctrl::KubeconfigOptions options(const std::string& path, size_t maxBytes = 4 << 20) {
  ctrl::KubeconfigOptions out;
  out.path = path;
  out.maxBytes = maxBytes;
  return out;
}

constexpr const char* kValid = R"(apiVersion: v1
kind: Config
current-context: main
contexts:
- name: main
  context: {cluster: local, user: admin}
- name: other
  context:
    cluster: remote
    user: bearer
- name: anonymous
  context:
    cluster: remote
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: @CA@
- name: remote
  cluster:
    server: https://remote.example:8443
    insecure-skip-tls-verify: true
users:
- name: admin
  user:
    client-certificate-data: @CERT@
    client-key-data: @KEY@
- name: bearer
  user:
    token: @TOKEN@
)";

TEST(KubeconfigTest, CurrentContextWithInlineData) {
  auto config = ctrl::parseKubeconfig(fill(kValid), "", "");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
  EXPECT_EQ(config->caPem, caCert().certPem);
  EXPECT_EQ(config->clientCertPem, clientCert().certPem);
  EXPECT_EQ(config->clientKeyPem, clientCert().keyPem);
  EXPECT_FALSE(config->insecureSkipTlsVerify);
  EXPECT_TRUE(!config->bearerToken || config->bearerToken().empty());
}

TEST(KubeconfigTest, NamedContextWithTokenAndInsecureFlag) {
  auto config = ctrl::parseKubeconfig(fill(kValid), "other", "");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://remote.example:8443");
  EXPECT_TRUE(config->insecureSkipTlsVerify);
  EXPECT_TRUE(config->caPem.empty());
  EXPECT_TRUE(config->clientCertPem.empty());
  ASSERT_TRUE(config->bearerToken);
  EXPECT_EQ(config->bearerToken(), kToken);
}

TEST(KubeconfigTest, ContextWithoutUserIsAnonymous) {
  auto config = ctrl::parseKubeconfig(fill(kValid), "anonymous", "");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_TRUE(!config->bearerToken || config->bearerToken().empty());
  EXPECT_TRUE(config->clientKeyPem.empty());
}

TEST(KubeconfigTest, InsecureFlagFalseWhenSetToFalse) {
  std::string text = fill(kValid);
  replaceAll(text, "insecure-skip-tls-verify: true", "insecure-skip-tls-verify: false");
  auto config = ctrl::parseKubeconfig(text, "other", "");
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_FALSE(config->insecureSkipTlsVerify);
}

// The selected context's namespace is carried along (kubectl and its plugins
// act there when no -n is given); "" when the context sets none.
TEST(KubeconfigTest, NamespaceComesFromTheSelectedContext) {
  std::string text = fill(kValid);
  replaceAll(text, "context: {cluster: local, user: admin}",
             "context: {cluster: local, user: admin, namespace: team-a}");
  auto current = ctrl::parseKubeconfig(text, "", "");
  ASSERT_TRUE(current.isOk()) << current.status().toString();
  EXPECT_EQ(current->ns, "team-a");
  auto named = ctrl::parseKubeconfig(text, "main", "");
  ASSERT_TRUE(named.isOk()) << named.status().toString();
  EXPECT_EQ(named->ns, "team-a");
  auto other = ctrl::parseKubeconfig(text, "other", "");
  ASSERT_TRUE(other.isOk()) << other.status().toString();
  EXPECT_EQ(other->ns, "");
}

TEST(KubeconfigTest, FilesResolveAgainstBaseDir) {
  sttest::TempDir dir;
  dir.write("ca.crt", caCert().certPem);
  dir.write("sub/admin.crt", clientCert().certPem);
  const std::string absoluteKey = dir.write("keys/admin.key", clientCert().keyPem);
  const std::string text =
      "current-context: c\n"
      "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "clusters:\n- name: k\n  cluster:\n    server: https://10.1.2.3\n"
      "    certificate-authority: ca.crt\n"
      "users:\n- name: u\n  user:\n    client-certificate: sub/admin.crt\n"
      "    client-key: " +
      absoluteKey + "\n";
  auto config = ctrl::parseKubeconfig(text, "", dir.path());
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->caPem, caCert().certPem);
  EXPECT_EQ(config->clientCertPem, clientCert().certPem);
  EXPECT_EQ(config->clientKeyPem, clientCert().keyPem);
}

// A rotated token file is picked up, but the file is read at most once a
// minute (client-go's cached file token source), not on every request.
TEST(KubeconfigTest, TokenFileIsReReadAtMostOnceAMinute) {
  sttest::TempDir dir;
  dir.write("token", "first-token\n");
  const std::string text =
      "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\n"
      "clusters: [{name: k, cluster: {server: 'https://k.example'}}]\n"
      "users: [{name: u, user: {token: inline-token, tokenFile: token}}]\n";
  sttest::FakeClock clock;
  auto config = ctrl::parseKubeconfig(text, "", dir.path(), &clock);
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  ASSERT_TRUE(config->bearerToken);
  // The file wins over the inline token; whitespace is trimmed.
  EXPECT_EQ(config->bearerToken(), "first-token");
  dir.write("token", "second-token");
  EXPECT_EQ(config->bearerToken(), "first-token") << "read again within the minute";
  clock.advance(std::chrono::seconds(59));
  EXPECT_EQ(config->bearerToken(), "first-token");
  clock.advance(std::chrono::seconds(1));
  EXPECT_EQ(config->bearerToken(), "second-token");
}

TEST(KubeconfigTest, LoadResolvesRelativePathsAgainstTheFilesDirectory) {
  sttest::TempDir dir;
  dir.write("conf/ca.pem", caCert().certPem);
  const std::string path =
      dir.write("conf/kubeconfig",
                "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
                "clusters: [{name: k, cluster: {server: 'https://k.example', "
                "certificate-authority: ca.pem}}]\n");
  auto config = ctrl::loadKubeconfig(options(path));
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->caPem, caCert().certPem);
}

TEST(KubeconfigTest, LoadUsesKubeconfigEnvironmentVariable) {
  sttest::TempDir dir;
  const std::string path = dir.write("kc", fill(kValid));
  const char* old = std::getenv("KUBECONFIG");
  const std::string saved = old != nullptr ? old : "";
  setenv("KUBECONFIG", (dir.path() + "/missing:" + path).c_str(), 1);
  auto config = ctrl::loadKubeconfig({});
  if (old != nullptr) {
    setenv("KUBECONFIG", saved.c_str(), 1);
  } else {
    unsetenv("KUBECONFIG");
  }
  ASSERT_TRUE(config.isOk()) << config.status().toString();
  EXPECT_EQ(config->server, "https://127.0.0.1:6443");
}

TEST(KubeconfigTest, LoadMissingFileIsNotFoundNamingThePath) {
  auto config = ctrl::loadKubeconfig(options("/nonexistent/st-kubeconfig"));
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), ctrl::Code::kNotFound);
  EXPECT_THAT(config.status().message(), HasSubstr("/nonexistent/st-kubeconfig"));
}

TEST(KubeconfigTest, LoadHonoursMaxBytes) {
  sttest::TempDir dir;
  const std::string path = dir.write("kc", fill(kValid));
  auto config = ctrl::loadKubeconfig(options(path, 100));
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), ctrl::Code::kInvalidArgument);
  EXPECT_THAT(config.status().message(), HasSubstr("larger than 100 bytes"));
}

// ---------------------------------------------------------------- bad input

struct BadCase {
  std::string name;
  std::string text;  // passed through fill()
  std::string context;
  ctrl::Code code;
  std::string mustContain;
};

// gtest prints parameters on failure; the name is enough (and keeps the
// multi-megabyte cases out of the log).
void PrintTo(const BadCase& c, std::ostream* os) { *os << c.name; }

std::string withUser(const std::string& userBody) {
  return "current-context: c\n"
         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
         "clusters: [{name: k, cluster: {server: 'https://k.example'}}]\n"
         "users:\n- name: u\n  user:\n" +
         userBody;
}

std::string withCluster(const std::string& clusterBody) {
  return "current-context: c\n"
         "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
         "clusters:\n- name: k\n  cluster:\n" +
         clusterBody +
         "users:\n- name: u\n  user:\n    token: @TOKEN@\n    client-key-data: @KEY@\n";
}

std::string junk(bool withNul) {
  std::mt19937 rng(42);
  std::string out;
  for (int i = 0; i < 4096; ++i) {
    auto byte = static_cast<char>(rng() % 256);
    if (!withNul && byte == '\0') byte = '\x7f';
    out.push_back(byte);
  }
  if (withNul) out[100] = '\0';
  return out;
}

std::string indentBomb(int levels) {
  std::string out;
  for (int i = 0; i < levels; ++i) out += std::string(static_cast<size_t>(i), ' ') + "k:\n";
  return out;
}

const BadCase kBadCases[] = {
    {"MissingNamedContext", kValid, "nope", ctrl::Code::kNotFound, "\"nope\""},
    {"NoCurrentContext", "contexts: []\nusers: [{name: u, user: {token: @TOKEN@}}]\n", "",
     ctrl::Code::kInvalidArgument, "current-context"},
    {"MissingCluster",
     "current-context: c\ncontexts: [{name: c, context: {cluster: gone, user: u}}]\n"
     "users: [{name: u, user: {token: @TOKEN@}}]\n",
     "", ctrl::Code::kInvalidArgument, "\"gone\""},
    {"ContextWithoutCluster", "current-context: c\ncontexts: [{name: c, context: {user: u}}]\n", "",
     ctrl::Code::kInvalidArgument, "cluster is missing"},
    {"NamespaceNotAString",
     "current-context: c\ncontexts: [{name: c, context: {cluster: k, namespace: [a]}}]\n"
     "clusters: [{name: k, cluster: {server: 'https://k.example'}}]\n",
     "", ctrl::Code::kInvalidArgument, "context.namespace"},
    {"MissingUser",
     "current-context: c\ncontexts: [{name: c, context: {cluster: k, user: ghost}}]\n"
     "clusters: [{name: k, cluster: {server: 'https://k.example'}}]\n",
     "", ctrl::Code::kInvalidArgument, "\"ghost\""},
    {"ExecPlugin",
     withUser("    token: @TOKEN@\n    exec:\n      command: get-token\n"
              "      args: [--secret, @TOKEN@]\n"),
     "", ctrl::Code::kInvalidArgument, "users[\"u\"].user.exec"},
    {"AuthProvider",
     withUser("    auth-provider:\n      name: oidc\n      config: {id-token: @TOKEN@}\n"), "",
     ctrl::Code::kInvalidArgument, "users[\"u\"].user.auth-provider"},
    {"BasicAuth", withUser("    username: admin\n    password: @TOKEN@\n"), "",
     ctrl::Code::kInvalidArgument, "basic authentication"},
    {"MalformedYaml", withUser("    token: @TOKEN@: x\n"), "", ctrl::Code::kInvalidArgument,
     "invalid YAML at line"},
    {"BadIndentation", "users:\n  - name: u\n user: {token: @TOKEN@}\n  x\n", "",
     ctrl::Code::kInvalidArgument, "invalid YAML"},
    {"UnknownAlias", "current-context: *nope\n", "", ctrl::Code::kInvalidArgument, "invalid YAML"},
    {"ListDocument", "- @TOKEN@\n- b\n", "", ctrl::Code::kInvalidArgument, "not a YAML mapping"},
    {"ScalarDocument", "just a line with @TOKEN@\n", "", ctrl::Code::kInvalidArgument,
     "not a YAML mapping"},
    {"EmptyDocument", "", "", ctrl::Code::kInvalidArgument, "empty"},
    {"CommentOnlyDocument", "# nothing here\n", "", ctrl::Code::kInvalidArgument, "empty"},
    {"FlowDepthBomb", std::string(100000, '['), "", ctrl::Code::kInvalidArgument, "nesting"},
    {"MapDepthBomb", std::string(100000, '{'), "", ctrl::Code::kInvalidArgument, "nesting"},
    {"FlowBombAfterStrayClosers", std::string(1000, ']') + std::string(1000, '['), "",
     ctrl::Code::kInvalidArgument, "nesting"},
    {"SequenceDepthBomb",
     [] {
       std::string s;
       for (int i = 0; i < 20000; ++i) s += "- ";
       return s + "x\n";
     }(),
     "", ctrl::Code::kInvalidArgument, "nesting"},
    {"IndentDepthBomb", indentBomb(300), "", ctrl::Code::kInvalidArgument, "nesting"},
    {"Oversized", std::string(kValid) + "# " + std::string(5 << 20, 'x') + "\n", "",
     ctrl::Code::kInvalidArgument, "larger than"},
    {"BinaryJunkWithNul", junk(true), "", ctrl::Code::kInvalidArgument, "NUL"},
    {"BinaryJunk", junk(false), "", ctrl::Code::kInvalidArgument, "kubeconfig"},
    {"ClustersNotAList",
     "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: {k: v}\n", "",
     ctrl::Code::kInvalidArgument, "clusters must be a list"},
    {"ContextEntryNotAMap", "current-context: c\ncontexts: [c]\n", "", ctrl::Code::kInvalidArgument,
     "contexts[0] must be a mapping"},
    {"MissingServer", withCluster("    insecure-skip-tls-verify: true\n"), "",
     ctrl::Code::kInvalidArgument, "server is missing"},
    {"ServerNotAString", withCluster("    server: [a, b]\n"), "", ctrl::Code::kInvalidArgument,
     "server must be a string"},
    {"ServerNotHttp", withCluster("    server: ftp://x\n"), "", ctrl::Code::kInvalidArgument,
     "http:// or https://"},
    {"InsecureNotABool",
     withCluster("    server: https://x\n    insecure-skip-tls-verify: maybe\n"), "",
     ctrl::Code::kInvalidArgument, "must be true or false"},
    {"InsecureWithCa",
     withCluster("    server: https://x\n    insecure-skip-tls-verify: true\n"
                 "    certificate-authority-data: @CA@\n"),
     "", ctrl::Code::kInvalidArgument, "insecure-skip-tls-verify cannot be combined"},
    {"BadBase64",
     withCluster("    server: https://x\n    certificate-authority-data: not*base64%\n"), "",
     ctrl::Code::kInvalidArgument, "certificate-authority-data: not valid base64"},
    {"CaNotPem", withCluster("    server: https://x\n    certificate-authority-data: aGVsbG8=\n"),
     "", ctrl::Code::kInvalidArgument, "certificate-authority"},
    {"MissingCaFile",
     withCluster("    server: https://x\n    certificate-authority: missing.crt\n"), "",
     ctrl::Code::kNotFound, "missing.crt"},
    {"ProxyUrl", withCluster("    server: https://x\n    proxy-url: http://proxy:3128\n"), "",
     ctrl::Code::kInvalidArgument, "proxy-url is not supported"},
    {"KeyDoesNotMatchCertificate",
     withUser("    client-certificate-data: @CERT@\n    client-key-data: @OTHER_KEY@\n"), "",
     ctrl::Code::kInvalidArgument, "does not match"},
    {"CertificateWithoutKey", withUser("    client-certificate-data: @CERT@\n"), "",
     ctrl::Code::kInvalidArgument, "must be set together"},
    {"KeyWithoutCertificate", withUser("    client-key-data: @KEY@\n"), "",
     ctrl::Code::kInvalidArgument, "must be set together"},
    {"KeyNotPem",
     withUser("    client-certificate-data: @CERT@\n    client-key-data: aGVsbG8gd29ybGQ=\n"), "",
     ctrl::Code::kInvalidArgument, "client-key(-data)"},
    {"CertificateIsAKey",
     withUser("    client-certificate-data: @KEY@\n    client-key-data: @KEY@\n"), "",
     ctrl::Code::kInvalidArgument, "client-certificate(-data)"},
    {"TokenNotAString", withUser("    token: {nested: @TOKEN@}\n"), "",
     ctrl::Code::kInvalidArgument, "token must be a string"},
    {"MissingTokenFile", withUser("    tokenFile: no-such-token\n"), "", ctrl::Code::kNotFound,
     "tokenFile"},
};

class KubeconfigBadInputTest : public ::testing::TestWithParam<BadCase> {};

TEST_P(KubeconfigBadInputTest, IsAClearErrorWithoutSecrets) {
  const BadCase& c = GetParam();
  auto config = ctrl::parseKubeconfig(fill(c.text), c.context, "/nonexistent-st-basedir");
  ASSERT_FALSE(config.isOk());
  EXPECT_EQ(config.status().code(), c.code) << config.status().toString();
  EXPECT_THAT(config.status().message(), HasSubstr("kubeconfig"));
  EXPECT_THAT(config.status().message(), HasSubstr(c.mustContain));
  expectNoSecrets(config.status().message());
}

INSTANTIATE_TEST_SUITE_P(All, KubeconfigBadInputTest, ::testing::ValuesIn(kBadCases),
                         [](const ::testing::TestParamInfo<BadCase>& param) {
                           return param.param.name;
                         });

}  // namespace
