// Kubeconfig parsing (client-go's clientcmd, the subset an operator needs).
// Every failure is a Status naming the source and the field; values are never
// quoted, since they include keys and tokens.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "controller/clock.h"
#include "controller/rest_config.h"
#include "rest/file_reader.h"
#include "rest/pem.h"
#include "rest/token_source.h"
#include "rest/yaml_fields.h"
#include "rest/yaml_guard.h"

namespace ctrl {
namespace {

using rest::fieldPath;
using rest::optionalString;

constexpr size_t kDefaultMaxBytes = 4 << 20;  // as KubeconfigOptions::maxBytes
constexpr auto kTokenRefreshPeriod = std::chrono::minutes(1);
constexpr size_t kMaxReferencedFileBytes = 1 << 20;

Status invalid(const std::string& what) { return errorStatus(Code::kInvalidArgument, what); }

std::string inQuotes(const std::string& name) { return "\"" + name + "\""; }

// Reads a PEM value given inline (`dataKey`, base64) or as a file (`fileKey`,
// relative to baseDir). The inline value wins, as in client-go. Returns "" when
// neither is set.
StatusOr<std::string> dataOrFile(const YAML::Node& node, const std::string& where,
                                 const std::string& fileKey, const std::string& dataKey,
                                 std::string_view baseDir) {
  auto data = optionalString(node, dataKey, where);
  if (!data.isOk()) return data.status();
  if (!data->empty()) {
    auto decoded = rest::decodeBase64(*data);
    if (!decoded.isOk()) return decoded.status().withContext(fieldPath(where, dataKey));
    return decoded;
  }
  auto file = optionalString(node, fileKey, where);
  if (!file.isOk()) return file.status();
  if (file->empty()) return std::string();
  auto text = rest::readFileLimited(rest::resolvePath(baseDir, *file), kMaxReferencedFileBytes);
  if (!text.isOk()) return text.status().withContext(fieldPath(where, fileKey));
  return text;
}

Status applyCluster(const YAML::Node& cluster, const std::string& where, std::string_view baseDir,
                    RestConfig& config) {
  for (const char* unsupported : {"proxy-url", "tls-server-name"}) {
    if (rest::hasField(cluster, unsupported)) {
      return invalid(fieldPath(where, unsupported) + " is not supported");
    }
  }
  auto server = optionalString(cluster, "server", where);
  if (!server.isOk()) return server.status();
  if (server->empty()) return invalid(fieldPath(where, "server") + " is missing");
  if (server->rfind("https://", 0) != 0 && server->rfind("http://", 0) != 0) {
    return invalid(fieldPath(where, "server") + " must be an http:// or https:// URL");
  }
  config.server = *server;

  auto ca =
      dataOrFile(cluster, where, "certificate-authority", "certificate-authority-data", baseDir);
  if (!ca.isOk()) return ca.status();
  if (!ca->empty()) {
    Status pem = rest::checkCertificatesPem(*ca);
    if (!pem.isOk()) return pem.withContext(fieldPath(where, "certificate-authority(-data)"));
    config.caPem = std::move(ca).value();
  }

  auto insecure = rest::optionalBool(cluster, "insecure-skip-tls-verify", where, false);
  if (!insecure.isOk()) return insecure.status();
  if (*insecure && !config.caPem.empty()) {
    // client-go refuses this combination too: which one did the user mean?
    return invalid(fieldPath(where, "insecure-skip-tls-verify") +
                   " cannot be combined with certificate-authority(-data)");
  }
  config.insecureSkipTlsVerify = *insecure;
  return Status::ok();
}

Status applyUser(const YAML::Node& user, const std::string& where, std::string_view baseDir,
                 const Clock& clock, RestConfig& config) {
  if (rest::hasField(user, "exec")) {
    return invalid(fieldPath(where, "exec") +
                   ": exec credential plugins are not supported; use a client certificate or "
                   "token");
  }
  if (rest::hasField(user, "auth-provider")) {
    return invalid(fieldPath(where, "auth-provider") +
                   ": auth-provider plugins are not supported; use a client certificate or token");
  }
  for (const char* unsupported : {"username", "password"}) {
    if (rest::hasField(user, unsupported)) {
      return invalid(fieldPath(where, unsupported) + ": basic authentication is not supported");
    }
  }

  auto cert = dataOrFile(user, where, "client-certificate", "client-certificate-data", baseDir);
  if (!cert.isOk()) return cert.status();
  auto key = dataOrFile(user, where, "client-key", "client-key-data", baseDir);
  if (!key.isOk()) return key.status();
  if (cert->empty() != key->empty()) {
    return invalid(where +
                   ": client-certificate(-data) and client-key(-data) must be set together");
  }
  if (!cert->empty()) {
    Status s = rest::checkCertificatesPem(*cert);
    if (!s.isOk()) return s.withContext(fieldPath(where, "client-certificate(-data)"));
    s = rest::checkPrivateKeyPem(*key);
    if (!s.isOk()) return s.withContext(fieldPath(where, "client-key(-data)"));
    s = rest::checkKeyMatchesCertificate(*cert, *key);
    if (!s.isOk()) return s.withContext(where);
    config.clientCertPem = std::move(cert).value();
    config.clientKeyPem = std::move(key).value();
  }

  auto token = optionalString(user, "token", where);
  if (!token.isOk()) return token.status();
  auto tokenFile = optionalString(user, "tokenFile", where);
  if (!tokenFile.isOk()) return tokenFile.status();
  if (!tokenFile->empty()) {
    // The file wins over an inline token (client-go: the last value read from
    // the file takes precedence). Re-read at most once a minute, as
    // client-go's cached file token source does: not on every request.
    auto source = std::make_shared<rest::FileTokenSource>(rest::resolvePath(baseDir, *tokenFile),
                                                          kTokenRefreshPeriod, clock);
    Status loaded = source->load();
    if (!loaded.isOk()) return loaded.withContext(fieldPath(where, "tokenFile"));
    config.bearerToken = rest::FileTokenSource::asFunction(std::move(source));
  } else if (!token->empty()) {
    config.bearerToken = [t = std::move(token).value()] { return t; };
  }
  return Status::ok();
}

StatusOr<RestConfig> parseRoot(const YAML::Node& root, std::string_view contextName,
                               std::string_view baseDir, const Clock& clock) {
  if (!root.IsDefined() || root.IsNull()) return invalid("the document is empty");
  if (!root.IsMap()) return invalid("the document is not a YAML mapping");

  std::string name(contextName);
  if (name.empty()) {
    auto current = optionalString(root, "current-context", "");
    if (!current.isOk()) return current.status();
    if (current->empty()) return invalid("current-context is not set and no context was given");
    name = std::move(current).value();
  }
  auto context = rest::findNamedEntry(root, "contexts", "context", name);
  if (!context.isOk()) return context.status();
  if (!context->has_value()) {
    return errorStatus(Code::kNotFound, "context " + inQuotes(name) + " not found");
  }
  const YAML::Node& ctx = **context;
  const std::string ctxWhere = "contexts[" + inQuotes(name) + "].context";
  auto clusterName = ctx.IsMap() ? optionalString(ctx, "cluster", ctxWhere) : std::string();
  if (!clusterName.isOk()) return clusterName.status();
  if (clusterName->empty()) return invalid(fieldPath(ctxWhere, "cluster") + " is missing");
  auto userName = ctx.IsMap() ? optionalString(ctx, "user", ctxWhere) : std::string();
  if (!userName.isOk()) return userName.status();
  auto ns = ctx.IsMap() ? optionalString(ctx, "namespace", ctxWhere) : std::string();
  if (!ns.isOk()) return ns.status();

  RestConfig config;
  config.ns = std::move(ns).value();
  auto cluster = rest::findNamedEntry(root, "clusters", "cluster", *clusterName);
  if (!cluster.isOk()) return cluster.status();
  if (!cluster->has_value() || !(*cluster)->IsMap()) {
    return invalid("cluster " + inQuotes(*clusterName) + " (used by context " + inQuotes(name) +
                   ") not found");
  }
  Status s =
      applyCluster(**cluster, "clusters[" + inQuotes(*clusterName) + "].cluster", baseDir, config);
  if (!s.isOk()) return s;

  if (!userName->empty()) {
    auto user = rest::findNamedEntry(root, "users", "user", *userName);
    if (!user.isOk()) return user.status();
    if (!user->has_value()) {
      return invalid("user " + inQuotes(*userName) + " (used by context " + inQuotes(name) +
                     ") not found");
    }
    // An entry with an empty user block means anonymous, as in client-go.
    if ((*user)->IsMap()) {
      s = applyUser(**user, "users[" + inQuotes(*userName) + "].user", baseDir, clock, config);
      if (!s.isOk()) return s;
    }
  }
  return config;
}

StatusOr<RestConfig> parseFrom(std::string_view text, std::string_view context,
                               std::string_view baseDir, size_t maxBytes, const Clock& clock,
                               const std::string& source) {
  if (text.size() > maxBytes) {
    return invalid(source + ": larger than " + std::to_string(maxBytes) + " bytes");
  }
  Status shape = rest::checkYamlText(text);
  if (!shape.isOk()) return shape.withContext(source);
  try {
    const YAML::Node root = YAML::Load(std::string(text));
    auto config = parseRoot(root, context, baseDir, clock);
    if (!config.isOk()) return config.status().withContext(source);
    return config;
  } catch (const YAML::ParserException& e) {
    // ParserException messages are fixed texts plus a position; no input.
    return invalid(source + ": invalid YAML at line " + std::to_string(e.mark.line + 1) +
                   ", column " + std::to_string(e.mark.column + 1) + ": " + e.msg);
  } catch (const YAML::Exception& e) {
    return invalid(source + ": unexpected YAML structure near line " +
                   std::to_string(e.mark.line + 1));
  } catch (const std::exception&) {
    return invalid(source + ": cannot be parsed");
  }
}

// $KUBECONFIG (the first existing entry of a ':'-separated list; the lists
// are not merged), else ~/.kube/config.
StatusOr<std::string> defaultPath() {
  if (const char* env = std::getenv("KUBECONFIG"); env != nullptr && *env != '\0') {
    std::string list(env);
    std::string first;
    size_t pos = 0;
    while (pos <= list.size()) {
      const size_t end = std::min(list.find(':', pos), list.size());
      std::string entry = list.substr(pos, end - pos);
      pos = end + 1;
      if (entry.empty()) continue;
      if (first.empty()) first = entry;
      std::error_code ec;
      if (std::filesystem::exists(entry, ec)) return entry;
    }
    if (!first.empty()) return first;
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == '\0') {
    return errorStatus(Code::kNotFound, "no kubeconfig: KUBECONFIG and HOME are not set");
  }
  return std::string(home) + "/.kube/config";
}

}  // namespace

StatusOr<RestConfig> parseKubeconfig(std::string_view yamlText, std::string_view context,
                                     std::string_view baseDir, const Clock* clock) {
  return parseFrom(yamlText, context, baseDir, kDefaultMaxBytes,
                   clock != nullptr ? *clock : RealClock::instance(), "kubeconfig");
}

StatusOr<RestConfig> loadKubeconfig(const KubeconfigOptions& options) {
  std::string path = options.path;
  if (path.empty()) {
    auto found = defaultPath();
    if (!found.isOk()) return found.status();
    path = std::move(found).value();
  }
  auto text = rest::readFileLimited(path, options.maxBytes);
  if (!text.isOk()) return text.status().withContext("kubeconfig");
  const std::string baseDir = std::filesystem::path(path).parent_path().string();
  return parseFrom(*text, options.context, baseDir, options.maxBytes,
                   options.clock != nullptr ? *options.clock : RealClock::instance(),
                   "kubeconfig " + path);
}

}  // namespace ctrl
