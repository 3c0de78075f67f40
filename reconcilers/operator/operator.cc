#include "operator/operator.h"

#include <optional>

#include "api/codec.h"
#include "api/pack.h"
#include "authority/builtin_authority.h"
#include "authority/key_bootstrap.h"
#include "authority/key_metrics.h"
#include "authority/key_rotator.h"
#include "controller/controller.h"
#include "controller/event_recorder.h"
#include "controller/informer.h"
#include "controller/leader_elector.h"
#include "controller/log.h"
#include "controller/manager.h"
#include "controller/memory_trimmer.h"
#include "controller/metrics.h"
#include "controller/multi_namespace_informer.h"
#include "controller/workqueue.h"
#include "operator/metrics_serving.h"
#include "servicetoken/reconciler.h"
#include "servicetoken/token_metrics.h"
#include "serviceuser/reconciler.h"

namespace st {

// One informer per watched namespace (the RBAC may be a Role in each), read
// through one merged store; a plain informer when watching all namespaces.
template <typename T>
using Informer = ctrl::MultiNamespaceInformer<T>;

// What the operator caches of its signing-key Secret: nothing but metadata.
struct KeySecretMeta {
  ctrl::ObjectMeta meta;
};

struct Operator::Impl {
  OperatorOptions options;
  OperatorDeps deps;
  ctrl::Clock* clock = nullptr;
  std::unique_ptr<BuiltinAuthority> authority;
  std::unique_ptr<ctrl::TokenBucket> remintPacer;
  // The key Secret's metadata only (never its keys): its changes poke the rotator.
  std::shared_ptr<ctrl::Informer<KeySecretMeta>> keySecret;
  std::shared_ptr<KeyRotator> rotator;
  std::unique_ptr<TokenMetrics> metrics;
  std::unique_ptr<SigningKeyMetrics> keyMetrics;
  std::shared_ptr<Informer<ServiceToken>> tokens;
  std::shared_ptr<Informer<ServiceUser>> users;
  std::shared_ptr<Informer<TokenSecret>> secrets;
  // With leader election: leader-only code writes through the elector's
  // fence (declared before what refers to it, so destroyed after).
  std::shared_ptr<ctrl::LeaderElector> elector;
  std::unique_ptr<ctrl::Client> fencedClient;
  std::shared_ptr<ctrl::AsyncEventRecorder> events;
  std::shared_ptr<ctrl::Controller> tokenController;
  std::shared_ptr<ctrl::Controller> userController;
  std::unique_ptr<ctrl::Manager> manager;
};

namespace {

// Enqueues a token and every token competing for its display name (so the
// younger of two duplicates is re-evaluated when the older goes or is renamed).
void enqueueWithSiblings(ctrl::Controller& c, const Informer<ServiceToken>& tokens,
                         const ServiceToken& t) {
  c.enqueue(t.meta.namespace_, t.meta.name);
  for (const auto& key :
       tokens.store().indexKeys(kByDisplayNameIndex, displayNameIndex(t).front())) {
    c.enqueue(ctrl::Request::fromKey(key));
  }
}

// Events a burst may queue while they wait for reconciles (about half a
// KiB each); more are dropped and counted in event_recorder_dropped_total.
constexpr size_t kEventQueueCapacity = 20000;

// Our own status writes change neither generation, labels nor annotations:
// they are not worth a reconcile (controller-runtime's predicates).
bool worthReconciling(const ServiceToken& a, const ServiceToken& b) {
  return a.meta.generation != b.meta.generation || a.meta.annotations != b.meta.annotations ||
         a.meta.labels != b.meta.labels || a.meta.deletionTimestamp != b.meta.deletionTimestamp;
}

}  // namespace

ctrl::StatusOr<std::unique_ptr<Operator>> Operator::create(const OperatorOptions& options,
                                                           OperatorDeps deps) {
  if (deps.client == nullptr) {
    return ctrl::Status(ctrl::Code::kInvalidArgument, "Operator needs a client");
  }
  auto impl = std::make_unique<Impl>();
  impl->options = options;
  impl->deps = deps;
  impl->clock = deps.clock != nullptr ? deps.clock : &ctrl::RealClock::instance();
  ctrl::Client& client = *deps.client;
  ctrl::Clock& clock = *impl->clock;

  // The token authority: keys from their Secret, JWKS published.
  KeyBootstrapOptions keyOptions;
  keyOptions.ns = options.ns;
  keyOptions.secretName = options.signingKeySecret;
  keyOptions.jwksConfigMap = options.jwksConfigMap;
  keyOptions.algorithm =
      options.signingAlgorithm == "ES256" ? KeyAlgorithm::kEs256 : KeyAlgorithm::kEd25519;
  // An API server that is busy or restarting does not stop the start: both
  // steps are safe to repeat (the Secret is read before it is created, the
  // JWKS is written only when it differs).
  std::optional<SigningKeyRing> ring;
  const auto bootstrap = [&]() -> ctrl::Status {
    if (!ring) {
      auto loaded = loadOrCreateSigningKeys(client, keyOptions, clock.wallNow());
      if (!loaded.isOk()) return loaded.status().withContext("loading signing keys");
      ring = std::move(loaded).value();
    }
    if (auto s = publishJwks(client, keyOptions, *ring); !s.isOk()) {
      return s.withContext("publishing the JWKS");
    }
    return ctrl::Status::ok();
  };
  const auto logRetry = [](const ctrl::Status& s, ctrl::Duration delay) {
    ctrl::log::warn(
        "Start-up step failed transiently; retrying",
        {{"error", s.message()}, {"delaySeconds", std::chrono::duration<double>(delay).count()}});
  };
  if (auto s = ctrl::retryTransient(clock, deps.stop, deps.startupRetry, bootstrap, logRetry);
      !s.isOk()) {
    return s;
  }
  AuthorityOptions authorityOptions{options.issuerUrl, options.audience};
  impl->authority =
      deps.random != nullptr
          ? std::make_unique<BuiltinAuthority>(std::move(*ring), authorityOptions, *deps.random)
          : std::make_unique<BuiltinAuthority>(std::move(*ring), authorityOptions);
  impl->metrics = std::make_unique<TokenMetrics>(*ctrl::metricsRegistry());
  impl->keyMetrics = std::make_unique<SigningKeyMetrics>(*ctrl::metricsRegistry(),
                                                         options.signingKeyRotationInterval);
  impl->remintPacer = std::make_unique<ctrl::TokenBucket>(
      clock, options.signingKeyRemintsPerSecond,
      std::max(1, static_cast<int>(options.signingKeyRemintsPerSecond)));

  // Informers: custom resources fully, Secrets only with our label.
  const ctrl::Duration watchIdle = std::chrono::seconds(options.watchIdleTimeoutSeconds);
  ctrl::ReflectorOptions tokenWatch;
  tokenWatch.resource = serviceTokenResource();
  tokenWatch.watchIdleTimeout = watchIdle;
  impl->tokens = std::make_shared<Informer<ServiceToken>>(
      client, client, tokenWatch, options.watchNamespaces, decodeServiceToken, clock);
  ctrl::ReflectorOptions userWatch;
  userWatch.resource = serviceUserResource();
  userWatch.watchIdleTimeout = watchIdle;
  impl->users = std::make_shared<Informer<ServiceUser>>(
      client, client, userWatch, options.watchNamespaces, decodeServiceUser, clock);
  ctrl::ReflectorOptions secretWatch;
  secretWatch.resource = ctrl::resources::secret();
  secretWatch.watchIdleTimeout = watchIdle;
  secretWatch.labelSelector = tokenSecretSelector();
  impl->secrets = std::make_shared<Informer<TokenSecret>>(
      client, client, secretWatch, options.watchNamespaces, decodeTokenSecret, clock);
  // Each cached object in one allocation of its bytes (api/pack.h): a
  // fraction of the structs' memory at 10,000 tokens; reads unpack a copy.
  impl->tokens->setPacking(serviceTokenPacking());
  impl->users->setPacking(serviceUserPacking());
  impl->secrets->setPacking(tokenSecretPacking());
  if (auto s = impl->tokens->addIndex(kByServiceUserIndex, serviceUserIndex); !s.isOk()) return s;
  if (auto s = impl->tokens->addIndex(kByDisplayNameIndex, displayNameIndex); !s.isOk()) return s;
  if (auto s = impl->users->addIndex(kByUserIdIndex, userIdIndex); !s.isOk()) return s;

  const std::string identity = ctrl::defaultLeaderIdentity();

  // The manager; with leader election, the elector, whose fence every write
  // of the reconcilers and their event recorder passes (the elector's own
  // Lease writes and the informers use the plain client).
  ctrl::ManagerOptions managerOptions;
  managerOptions.metricsBindAddress = options.metricsBindAddress;
  managerOptions.healthProbeBindAddress = options.healthProbeBindAddress;
  managerOptions.httpServerFactory = deps.httpServerFactory;
  managerOptions.gracefulShutdownTimeout = std::chrono::seconds(options.gracefulShutdownSeconds);
  managerOptions.clock = &clock;
  if (auto s = configureMetricsServing(options, deps, clock, managerOptions); !s.isOk()) return s;
  impl->manager = std::make_unique<ctrl::Manager>(std::move(managerOptions));
  ctrl::Client* writer = &client;
  if (options.leaderElect) {
    ctrl::LeaderElectionConfig le;
    le.leaseNamespace = options.ns;
    le.leaseName = options.leaderElectionId;
    le.identity = identity;
    le.callbacks = impl->manager->leaderCallbacks();
    auto elector = ctrl::LeaderElector::create(client, clock, std::move(le));
    if (!elector.isOk()) return elector.status();
    impl->elector = std::move(elector).value();
    impl->fencedClient = ctrl::makeFencedClient(client, impl->elector->fence());
    writer = impl->fencedClient.get();
  }

  // Events wait while reconciles do (up to the recorder's maxHold): in a
  // burst the API server's capacity goes to Secrets and status first, and
  // the queue holds a burst's events instead of dropping them.
  Impl* self = impl.get();
  auto events = ctrl::AsyncEventRecorder::create(
      *writer, clock,
      {.reportingController = "servicetoken.dev/servicetoken-operator",
       .reportingInstance = identity,
       .queueCapacity = kEventQueueCapacity,
       .words = &packWords(),
       .holdWhile = [self] {
         return self->tokenController != nullptr && self->tokenController->queue().len() > 0;
       }});
  if (!events.isOk()) return events.status();
  impl->events = std::shared_ptr<ctrl::AsyncEventRecorder>(std::move(events).value());

  // Controllers.
  ServiceTokenReconcilerDeps tokenDeps{&impl->tokens->store(),
                                       &impl->secrets->store(),
                                       &impl->users->store(),
                                       writer,
                                       impl->authority.get(),
                                       impl->events.get(),
                                       &clock,
                                       impl->metrics.get(),
                                       impl->remintPacer.get()};
  ctrl::ControllerOptions tokenOptions;
  tokenOptions.name = "servicetoken";
  tokenOptions.workers = options.workers;
  tokenOptions.clock = &clock;
  auto tokenReconciler = std::make_unique<ServiceTokenReconciler>(tokenDeps);
  ServiceTokenReconciler* tokenView = tokenReconciler.get();  // owned by the controller
  impl->tokenController =
      std::make_shared<ctrl::Controller>(std::move(tokenOptions), std::move(tokenReconciler));
  ctrl::ControllerOptions userOptions;
  userOptions.name = "serviceuser";
  userOptions.workers = 2;
  userOptions.clock = &clock;
  impl->userController = std::make_shared<ctrl::Controller>(
      std::move(userOptions), std::make_unique<ServiceUserReconciler>(ServiceUserReconcilerDeps{
                                  &impl->users->store(), writer, &clock}));

  // Event handlers: each change enqueues the keys whose reconcile it affects.
  ctrl::Controller& tc = *impl->tokenController;
  ctrl::Controller& uc = *impl->userController;
  Informer<ServiceToken>& tokens = *impl->tokens;
  Informer<ServiceUser>& users = *impl->users;
  auto status = tokens.addEventHandler(
      {.onAdd = [&tc](const auto& t) { tc.enqueue(t->meta.namespace_, t->meta.name); },
       .onUpdate =
           [&tc, &tokens, tokenView](const auto& before, const auto& after) {
             // A renamed token may free its old display name for a sibling.
             if (before->spec.displayName != after->spec.displayName) {
               enqueueWithSiblings(tc, tokens, *before);  // the freed name's competitors
               enqueueWithSiblings(tc, tokens, *after);
             } else if (worthReconciling(*before, *after) ||
                        // Someone else wrote status (or edited it away):
                        // put it right. Our own writes are not news.
                        (before->status != after->status &&
                         !tokenView->ownStatusWrite(after->meta.key(),
                                                    after->meta.resourceVersion))) {
               tc.enqueue(after->meta.namespace_, after->meta.name);
             }
           },
       .onDelete = [&tc, &tokens](const auto& t) { enqueueWithSiblings(tc, tokens, *t); }});
  if (!status.isOk()) return status;
  auto enqueueOwner = [&tc](const std::shared_ptr<const TokenSecret>& s) {
    auto it = s->meta.labels.find(kTokenLabel);
    if (it != s->meta.labels.end()) tc.enqueue(s->meta.namespace_, it->second);
  };
  // Our own Secret write arriving in the cache is not news (the reconcile
  // that wrote it knew it): no second reconcile per mint.
  auto unlessOwnWrite = [enqueueOwner, tokenView](const std::shared_ptr<const TokenSecret>& s) {
    if (!tokenView->ownSecretWrite(*s)) enqueueOwner(s);
  };
  status = impl->secrets->addEventHandler(
      {.onAdd = unlessOwnWrite,
       .onUpdate = [unlessOwnWrite](const auto&, const auto& after) { unlessOwnWrite(after); },
       .onDelete = enqueueOwner});
  if (!status.isOk()) return status;
  auto onUser = [&tc, &uc, &tokens, &users](const std::shared_ptr<const ServiceUser>& u) {
    uc.enqueue(u->meta.namespace_, u->meta.name);
    for (const auto& key : users.store().indexKeys(kByUserIdIndex, userIdIndex(*u).front())) {
      uc.enqueue(ctrl::Request::fromKey(key));
    }
    for (const auto& key : tokens.store().indexKeys(
             kByServiceUserIndex, serviceUserIndexKey(u->meta.namespace_, u->meta.name))) {
      tc.enqueue(ctrl::Request::fromKey(key));
    }
  };
  status = users.addEventHandler({.onAdd = onUser,
                                  .onUpdate =
                                      [onUser](const auto& before, const auto& after) {
                                        onUser(before);
                                        onUser(after);
                                      },
                                  .onDelete = onUser});
  if (!status.isOk()) return status;

  // Signing-key rotation: leader-only, woken when the key Secret changes (a
  // rotate-signing-key request) and by its own schedule.
  ctrl::ReflectorOptions keyWatch;
  keyWatch.resource = ctrl::resources::secret();
  keyWatch.ns = options.ns;
  keyWatch.fieldSelector = "metadata.name=" + options.signingKeySecret;
  impl->keySecret = std::make_shared<ctrl::Informer<KeySecretMeta>>(
      client, client, keyWatch,
      [](const ctrl::Json& o) -> ctrl::StatusOr<KeySecretMeta> {
        auto m = ctrl::decodeObjectMetaOf(o);
        if (!m.isOk()) return m.status();
        return KeySecretMeta{std::move(m).value()};
      },
      clock);
  KeyRotatorOptions rotatorOptions;
  rotatorOptions.keys = keyOptions;
  rotatorOptions.interval = options.signingKeyRotationInterval;
  rotatorOptions.publishDelay = options.signingKeyPublishDelay;
  Informer<TokenSecret>* secretInformer = impl->secrets.get();
  KeyRotatorDeps rotatorDeps;
  rotatorDeps.client = writer;
  rotatorDeps.clock = &clock;
  rotatorDeps.secrets = &impl->secrets->store();
  rotatorDeps.secretsSynced = [secretInformer] { return secretInformer->hasSynced(); };
  rotatorDeps.authority = impl->authority.get();
  rotatorDeps.events = impl->events.get();
  rotatorDeps.metrics = impl->keyMetrics.get();
  rotatorDeps.onRevoked = [&tc, secretInformer](const std::set<std::string>& kids) {
    // The tokens whose Secret holds a token a withdrawn key signed: their
    // reconcile re-mints them (paced by the reconciler).
    secretInformer->store().forEach([&](const TokenSecret& s) {
      if (!kids.contains(s.kid)) return;
      auto it = s.meta.labels.find(kTokenLabel);
      if (it != s.meta.labels.end()) tc.enqueue(s.meta.namespace_, it->second);
    });
  };
  impl->rotator = std::make_shared<KeyRotator>(std::move(rotatorOptions), std::move(rotatorDeps));
  KeyRotator* rotator = impl->rotator.get();
  status = impl->keySecret->addEventHandler(
      {.onAdd = [rotator](const auto&) { rotator->poke(); },
       .onUpdate = [rotator](const auto&, const auto&) { rotator->poke(); },
       .onDelete = [rotator](const auto&) { rotator->poke(); }});
  if (!status.isOk()) return status;

  impl->manager->add(impl->tokens);
  impl->manager->add(impl->users);
  impl->manager->add(impl->keySecret);
  impl->manager->add(impl->rotator);
  impl->manager->add(impl->secrets);
  impl->manager->add(std::shared_ptr<ctrl::Runnable>(impl->events), nullptr);
  impl->manager->add(impl->tokenController);
  impl->manager->add(impl->userController);
  // After a burst (first mints, a rotation storm, a relist) the freed request
  // bodies and JSON stay in malloc's arenas between cached objects; the
  // trimmer returns them (docs/performance.md).
  impl->manager->add(std::make_shared<ctrl::MemoryTrimmer>(clock), nullptr);
  if (impl->elector) impl->manager->setLeaderElector(impl->elector);
  return std::unique_ptr<Operator>(new Operator(std::move(impl)));
}

Operator::Operator(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Operator::~Operator() = default;

ctrl::Status Operator::run(std::stop_token stop) { return impl_->manager->start(std::move(stop)); }
bool Operator::synced() const { return impl_->manager->synced(); }
const ctrl::Store<ServiceToken>& Operator::tokens() const { return impl_->tokens->store(); }
const ctrl::Store<TokenSecret>& Operator::secrets() const { return impl_->secrets->store(); }
int Operator::metricsPort() const { return impl_->manager->metricsPort(); }
int Operator::probePort() const { return impl_->manager->probePort(); }

}  // namespace st
