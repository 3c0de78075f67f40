// Identities of their own for tests that check authorization: a client
// certificate signed by the control plane's client CA (any username and
// groups, as a person would have), or a ServiceAccount with a TokenRequest
// token. Each is written into a kubeconfig of its own, so kubectl runs as
// exactly that identity (never as admin with --as). Header-only because the
// kubectl-only test binaries compile only *_test.cc files.
//
// The token and the private key stay in files under the caller's directory
// (mode 0600); nothing here prints them.
#pragma once

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <cctype>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "control_plane.h"
#include "subprocess.h"

namespace sttest {

// A kubeconfig that authenticates as `username`.
struct TestIdentity {
  std::string username;
  std::string kubeconfig;
  std::string tokenFile;  // the bearer token (mode 0600) of a ServiceAccount identity, else ""

  // Runs the hack-built kubectl as this identity; `input` goes to stdin.
  ProcessResult kubectl(const std::vector<std::string>& args, const std::string& input = "") const {
    std::vector<std::string> argv{ControlPlane::kubectlPath(), "--kubeconfig", kubeconfig};
    argv.insert(argv.end(), args.begin(), args.end());
    return runProcess(argv, input);
  }

  // "yes" or "no": `kubectl auth can-i VERB RESOURCE [-n NS]` as this identity
  // (a SelfSubjectAccessReview). RESOURCE may be TYPE/NAME; `ns` empty means
  // cluster scope.
  std::string canI(const std::string& verb, const std::string& resource,
                   const std::string& ns = "") const {
    std::vector<std::string> args{"auth", "can-i", verb, resource};
    if (!ns.empty()) args.insert(args.end(), {"-n", ns});
    ProcessResult r = kubectl(args);
    return r.out.substr(0, r.out.find('\n'));
  }
};

namespace identity_detail {

// A file name for `username` (which may hold '@', ':' and the like).
inline std::string fileStem(const std::string& username) {
  std::string stem;
  for (char c : username) stem += (std::isalnum(static_cast<unsigned char>(c)) ? c : '_');
  static std::atomic<int> counter{0};
  return stem + "-" + std::to_string(++counter);
}

// Writes a kubeconfig for `cp` whose user entry is `userLines` (indented by 4).
inline ::testing::AssertionResult writeKubeconfig(const ControlPlane& cp, const std::string& path,
                                                  const std::string& userLines) {
  std::ofstream out(path);
  out << "apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n    server: "
      << cp.server() << "\n    certificate-authority: " << cp.dir()
      << "/pki/ca.crt\nusers:\n- name: test\n  user:\n"
      << userLines << "contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n"
      << "current-context: test\n";
  out.close();
  if (!out) return ::testing::AssertionFailure() << "cannot write " << path;
  chmod(path.c_str(), 0600);
  return ::testing::AssertionSuccess();
}

}  // namespace identity_detail

// A client certificate for `username` (CN) in `groups` (O), signed with the
// plane's client CA, in a kubeconfig under `dir`. `username` must not hold
// '/' or ','. On success fills `*identity`.
inline ::testing::AssertionResult makeCertificateIdentity(const ControlPlane& cp,
                                                          const std::string& dir,
                                                          const std::string& username,
                                                          const std::vector<std::string>& groups,
                                                          TestIdentity* identity) {
  if (username.find_first_of("/,+=") != std::string::npos) {
    return ::testing::AssertionFailure()
           << "username unfit for a certificate subject: " << username;
  }
  const std::string base = dir + "/" + identity_detail::fileStem(username);
  std::string subject = "/CN=" + username;
  for (const std::string& g : groups) subject += "/O=" + g;
  ProcessResult r =
      runProcess({"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                  "-nodes", "-subj", subject, "-keyout", base + ".key", "-out", base + ".csr"});
  if (r.exitCode != 0) return ::testing::AssertionFailure() << "openssl req: " << r.err;
  {
    std::ofstream ext(base + ".ext");
    ext << "extendedKeyUsage=clientAuth\n";
  }
  // A random serial instead of -CAcreateserial: nothing is written next to the CA.
  std::random_device rd;
  const std::string serial = std::to_string((static_cast<unsigned long long>(rd()) << 20) ^ rd());
  r = runProcess({"openssl", "x509", "-req", "-in", base + ".csr", "-CA",
                  cp.dir() + "/pki/client-ca.crt", "-CAkey", cp.dir() + "/pki/client-ca.key",
                  "-set_serial", serial, "-days", "1", "-extfile", base + ".ext", "-out",
                  base + ".crt"});
  if (r.exitCode != 0) return ::testing::AssertionFailure() << "openssl x509: " << r.err;
  chmod((base + ".key").c_str(), 0600);
  identity->username = username;
  identity->kubeconfig = base + ".kubeconfig";
  return identity_detail::writeKubeconfig(
      cp, identity->kubeconfig,
      "    client-certificate: " + base + ".crt\n    client-key: " + base + ".key\n");
}

// ServiceAccount `ns`/`name` (created when missing, as admin) with a
// TokenRequest token valid for an hour, in a file and a kubeconfig under
// `dir`. Its username is system:serviceaccount:<ns>:<name>. On success fills
// `*identity`.
inline ::testing::AssertionResult makeServiceAccountIdentity(const ControlPlane& cp,
                                                             const std::string& dir,
                                                             const std::string& ns,
                                                             const std::string& name,
                                                             TestIdentity* identity) {
  ProcessResult r = cp.kubectl({"create", "serviceaccount", name, "-n", ns});
  if (r.exitCode != 0 && r.err.find("already exists") == std::string::npos) {
    return ::testing::AssertionFailure()
           << "creating ServiceAccount " << ns << "/" << name << ": " << r.err;
  }
  r = cp.kubectl({"create", "token", name, "-n", ns, "--duration=1h"});
  if (r.exitCode != 0 || r.out.empty()) {
    return ::testing::AssertionFailure() << "kubectl create token: " << r.err;
  }
  std::string token = r.out;
  while (!token.empty() && (token.back() == '\n' || token.back() == ' ')) token.pop_back();
  const std::string base = dir + "/" + identity_detail::fileStem(ns + "-" + name);
  identity->username = "system:serviceaccount:" + ns + ":" + name;
  identity->kubeconfig = base + ".kubeconfig";
  identity->tokenFile = base + ".token";
  {
    std::ofstream out(identity->tokenFile);
    out << token;
    if (!out) return ::testing::AssertionFailure() << "cannot write " << identity->tokenFile;
  }
  chmod(identity->tokenFile.c_str(), 0600);
  return identity_detail::writeKubeconfig(cp, identity->kubeconfig,
                                          "    tokenFile: " + identity->tokenFile + "\n");
}

}  // namespace sttest
