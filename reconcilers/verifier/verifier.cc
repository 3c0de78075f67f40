#include "verifier/verifier.h"

#include "api/types.h"
#include "controller/beast_http_server.h"
#include "controller/informer.h"
#include "controller/log.h"
#include "controller/manager.h"
#include "controller/metrics.h"
#include "token/claims.h"
#include "verifier/discovery.h"
#include "verifier/forward_auth.h"
#include "verifier/informer_view.h"
#include "verifier/last_used.h"
#include "verifier/records.h"
#include "verifier/serving.h"
#include "verifier/token_review.h"
#include "verifier/verifier_metrics.h"

namespace st::verifier {

using ctrl::Informer;

namespace {

// The hashes a ServiceToken accepts (current, previous).
bool accepts(const TokenRecord* t, const std::string& hash) {
  return t != nullptr && !hash.empty() &&
         (t->tokenHash == hash || (t->previous && t->previous->tokenHash == hash));
}

// Drops cached signature checks of tokens `before` held and `after` does not.
void forgetDropped(const Authenticator& a, const TokenRecord& before, const TokenRecord* after) {
  if (!before.tokenHash.empty() && !accepts(after, before.tokenHash)) a.forget(before.tokenHash);
  if (before.previous && !before.previous->tokenHash.empty() &&
      !accepts(after, before.previous->tokenHash)) {
    a.forget(before.previous->tokenHash);
  }
}

ctrl::HttpServerResponse jsonDocument(std::string body, const char* contentType) {
  ctrl::HttpServerResponse r;
  r.contentType = contentType;
  r.body = std::move(body);
  r.headers.emplace_back("Cache-Control", "public, max-age=300");
  return r;
}

}  // namespace

struct Verifier::Impl {
  VerifierOptions options;
  ctrl::Clock* clock = nullptr;
  std::shared_ptr<Informer<TokenRecord>> tokens;
  std::shared_ptr<Informer<UserRecord>> users;
  std::shared_ptr<Informer<JwksRecord>> jwks;
  std::unique_ptr<InformerView> view;
  std::unique_ptr<Authenticator> authenticator;
  std::unique_ptr<VerifierMetrics> metrics;
  std::shared_ptr<LastUsedRecorder> lastUsed;  // null when disabled
  std::shared_ptr<ServingRunnable> serving;
  std::unique_ptr<ctrl::Manager> manager;
  ctrl::log::Logger log = ctrl::log::named("verifier");

  // The serving endpoints: forward-auth, TokenReview, discovery, JWKS.
  ctrl::Status registerRoutes(ctrl::HttpServer& server);

  void record(Interface interface, const Decision& d, ctrl::MonoTime started) const {
    metrics->record(interface, d.reason, clock->now() - started);
    if (lastUsed && d.allowed()) lastUsed->touch(*d.grant, clock->wallNow());
    metrics->setVerifiedTokens(authenticator->cachedTokens());
    if (!ctrl::log::enabled(ctrl::log::kDebugLevel)) return;  // no logger copy per request
    const ctrl::log::Logger v = log.v(ctrl::log::kDebugLevel);
    v.info(
        "Decided",
        {{"interface", interface == Interface::kForwardAuth ? "forward_auth" : "token_review"},
         {"result", resultName(resultOf(d.reason))},
         {"reason", reasonName(d.reason)},
         {"tokenId", d.grant ? d.grant->tokenId : std::string()},
         {"ServiceToken", d.grant ? d.grant->serviceTokenNamespace + "/" + d.grant->serviceTokenName
                                  : std::string()}});
  }
};

ctrl::Status Verifier::Impl::registerRoutes(ctrl::HttpServer& server) {
  Impl* impl = this;
  auto forwardAuth = [impl](const ctrl::HttpServerRequest& request) {
    const ctrl::MonoTime started = impl->clock->now();
    Decision d = decideForwardAuth(forwardAuthInput(request), *impl->authenticator);
    ctrl::HttpServerResponse response = forwardAuthResponse(d);
    impl->record(Interface::kForwardAuth, d, started);
    return response;
  };
  if (auto s = server.route({std::string(kForwardAuthPath), false}, forwardAuth); !s.isOk()) {
    return s;
  }
  if (auto s = server.route({std::string(kForwardAuthPath) + "/", true}, forwardAuth); !s.isOk()) {
    return s;
  }
  auto review = [impl](const ctrl::HttpServerRequest& request) {
    const ctrl::MonoTime started = impl->clock->now();
    TokenReviewOutcome out =
        serveTokenReview(request.method(), request.body(), *impl->authenticator);
    if (out.decision) impl->record(Interface::kTokenReview, *out.decision, started);
    return std::move(out.response);
  };
  if (auto s = server.route({std::string(kTokenReviewPath), false}, review); !s.isOk()) return s;

  const std::string discovery = discoveryDocument(impl->options.issuerUrl);
  for (const auto& path : discoveryPaths(impl->options.issuerUrl)) {
    server.handle(path, [discovery](const std::string&) {
      return jsonDocument(discovery, "application/json");
    });
  }
  for (const auto& path : jwksPaths(impl->options.issuerUrl)) {
    server.handle(path, [impl](const std::string&) {
      auto document = impl->view->jwksDocument();
      if (!document) {
        ctrl::HttpServerResponse r;
        r.status = 503;
        r.body = "503 no JWKS loaded yet\n";
        return r;
      }
      return jsonDocument(*document, "application/jwk-set+json");
    });
  }
  return ctrl::Status::ok();
}

ctrl::StatusOr<std::unique_ptr<Verifier>> Verifier::create(const VerifierOptions& options,
                                                           VerifierDeps deps) {
  if (deps.client == nullptr) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "Verifier needs a client");
  }
  if (options.leewaySeconds < 0 || options.leewaySeconds > kMaxLeeway.count()) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "leeway must be 0 to 60 seconds");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->clock = deps.clock != nullptr ? deps.clock : &ctrl::RealClock::instance();
  ctrl::Client& client = *deps.client;
  ctrl::Clock& clock = *impl->clock;

  ctrl::ReflectorOptions tokenWatch;
  tokenWatch.resource = serviceTokenResource();
  tokenWatch.ns = options.watchNamespace;
  impl->tokens =
      std::make_shared<Informer<TokenRecord>>(client, client, tokenWatch, decodeTokenRecord, clock);
  ctrl::ReflectorOptions userWatch;
  userWatch.resource = serviceUserResource();
  userWatch.ns = options.watchNamespace;
  impl->users =
      std::make_shared<Informer<UserRecord>>(client, client, userWatch, decodeUserRecord, clock);
  ctrl::ReflectorOptions jwksWatch;
  jwksWatch.resource = ctrl::resources::configMap();
  jwksWatch.ns = options.ns;
  jwksWatch.fieldSelector = "metadata.name=" + options.jwksConfigMap;
  impl->jwks =
      std::make_shared<Informer<JwksRecord>>(client, client, jwksWatch, decodeJwksConfigMap, clock);
  auto view = InformerView::create(*impl->tokens, *impl->users, *impl->jwks);
  if (!view.isOk()) return view.status();
  impl->view = std::move(view).value();

  AuthenticatorOptions authOptions;
  authOptions.claims.issuer = options.issuerUrl;
  authOptions.claims.apiAudience = options.audience;
  authOptions.claims.scimAudience = scimAudience(options.audience);
  authOptions.claims.leeway = std::chrono::seconds(options.leewaySeconds);
  authOptions.cacheCapacity = options.verifiedCacheSize;
  impl->authenticator = std::make_unique<Authenticator>(*impl->view, authOptions, clock);
  impl->metrics = std::make_unique<VerifierMetrics>(*ctrl::metricsRegistry());
  if (options.recordLastUsed) {
    LastUsedOptions lastUsedOptions;
    lastUsedOptions.maxWritesPerSecond = options.lastUsedWritesPerSecond;
    impl->lastUsed = std::make_shared<LastUsedRecorder>(client, clock, lastUsedOptions);
  }

  const Authenticator* authenticator = impl->authenticator.get();
  ctrl::EventHandlers<TokenRecord> forget;
  forget.onUpdate = [authenticator](const auto& before, const auto& after) {
    forgetDropped(*authenticator, *before, after.get());
  };
  forget.onDelete = [authenticator](const auto& last) {
    forgetDropped(*authenticator, *last, nullptr);
  };
  auto status = impl->tokens->addEventHandler(std::move(forget));
  if (!status.isOk()) return status;

  // The serving endpoints.
  ctrl::BeastHttpServerOptions serverOptions;
  serverOptions.tlsCertFile = options.tlsCertFile;
  serverOptions.tlsKeyFile = options.tlsKeyFile;
  serverOptions.threads = options.threads;
  serverOptions.clock = &clock;
  serverOptions.onTlsReload = [log = impl->log](const ctrl::Status& s) {
    if (s.isOk()) {
      log.info("Reloaded the TLS certificate", {});
    } else {
      log.error(s, "Failed to reload the TLS certificate; kept the previous one");
    }
  };
  auto server = ctrl::makeBeastHttpServer(std::move(serverOptions));
  if (!server.isOk()) return server.status();
  if (auto s = impl->registerRoutes(**server); !s.isOk()) return s;
  impl->serving = std::make_shared<ServingRunnable>(std::move(server).value(), options.bindAddress);

  // The manager: informers, the server, metrics and probes.
  ctrl::ManagerOptions managerOptions;
  managerOptions.metricsBindAddress = options.metricsBindAddress;
  managerOptions.healthProbeBindAddress = options.healthProbeBindAddress;
  managerOptions.httpServerFactory = deps.probeServerFactory;
  if (!managerOptions.httpServerFactory) {
    managerOptions.httpServerFactory = [] {
      ctrl::BeastHttpServerOptions o;
      o.threads = 1;
      // Plain HTTP cannot fail to build.
      return std::move(ctrl::makeBeastHttpServer(std::move(o))).value();
    };
  }
  managerOptions.gracefulShutdownTimeout = std::chrono::seconds(options.gracefulShutdownSeconds);
  managerOptions.clock = &clock;
  impl->manager = std::make_unique<ctrl::Manager>(std::move(managerOptions));
  impl->manager->add(impl->tokens);
  impl->manager->add(impl->users);
  impl->manager->add(impl->jwks);
  impl->manager->add(std::shared_ptr<ctrl::Runnable>(impl->serving), nullptr);
  if (impl->lastUsed) impl->manager->add(std::shared_ptr<ctrl::Runnable>(impl->lastUsed), nullptr);
  const InformerView* v = impl->view.get();
  if (auto s = impl->manager->addReadyzCheck(
          "jwks",
          [v] {
            return v->jwksDocument()
                       ? ctrl::Status::ok()
                       : ctrl::Status(ctrl::Code::kUnavailable, "no JWKS ConfigMap loaded");
          });
      !s.isOk()) {
    return s;
  }
  return std::unique_ptr<Verifier>(new Verifier(std::move(impl)));
}

Verifier::Verifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Verifier::~Verifier() = default;

ctrl::Status Verifier::run(std::stop_token stop) { return impl_->manager->start(std::move(stop)); }
bool Verifier::synced() const { return impl_->view->synced(); }
bool Verifier::ready() const { return synced() && impl_->view->jwksDocument() != nullptr; }
int Verifier::port() const { return impl_->serving->port(); }
int Verifier::metricsPort() const { return impl_->manager->metricsPort(); }
int Verifier::probePort() const { return impl_->manager->probePort(); }
const Authenticator& Verifier::authenticator() const { return *impl_->authenticator; }
uint64_t Verifier::lastUsedWrites() const {
  return impl_->lastUsed ? impl_->lastUsed->writes() : 0;
}

}  // namespace st::verifier
