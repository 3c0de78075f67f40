// The packings of the cached API types: every field survives, and a typical
// object packs into a fraction of its struct.
#include "api/pack.h"

#include <gtest/gtest.h>

#include <iostream>
#include <string>

namespace st {
namespace {

ctrl::ObjectMeta meta(const std::string& name) {
  ctrl::ObjectMeta m;
  m.name = name;
  m.namespace_ = "team-data";
  m.uid = "6f1f7c1e-2a53-4d0b-9a55-1f0c7d9b2e11";
  m.resourceVersion = "918273";
  m.generation = 3;
  m.labels = ctrl::StringMap{{kManagedByLabel, kManagedByValue}, {kTokenLabel, name}};
  m.annotations = ctrl::StringMap{{kTokenIdAnnotation, "5b0c9b0e-1f0e-4a7b-8b56-8c7f0d3c2a11"},
                                  {"team", "data"}};
  m.ownerReferences = {{kApiVersion, "ServiceToken", name, "uid-owner", true, true}};
  m.deletionTimestamp = ctrl::WallTime(std::chrono::seconds(1790000000));
  m.creationTimestamp = ctrl::WallTime(std::chrono::seconds(1780000000));
  return m;
}

Condition condition(const std::string& type, const std::string& message) {
  return {type, "True", "Issued", message, 3, "2026-06-01T10:00:00Z"};
}

// Every field set, each to a value of its own.
ServiceToken fullToken() {
  ServiceToken t;
  t.meta = meta("airflow");
  t.spec.displayName = "Airflow Service User";
  t.spec.type = TokenType::kPersonal;
  t.spec.serviceUserRef = "airflow-user";
  t.spec.owner = "alice@example.com";
  t.spec.expiration = "90d";
  t.spec.expiresInDays = 45;
  t.spec.scimAdministration = true;
  t.spec.revoked = true;
  t.spec.secret = {"af-secret", {{"l", "1"}}, {{"a", "2"}, {"b", ""}}, "Retain"};
  t.spec.rotation = {"Disabled", "5d", "1d"};
  ServiceTokenStatus& s = t.status;
  s.phase = "Active";
  s.observedGeneration = 3;
  s.serviceUserId = "airflow-service-user@service";
  s.secretName = "af-secret";
  s.expiration = "45d";
  s.tokenId = "5b0c9b0e-1f0e-4a7b-8b56-8c7f0d3c2a11";
  s.tokenHash = "sha256:" + std::string(64, 'a');
  s.issuedAt = "2026-06-01T10:00:00Z";
  s.expiresAt = "2026-07-16T10:00:00Z";
  s.renewalTime = "2026-07-10T03:12:44Z";
  s.revision = 12;
  s.rotateRequest = "r-7";
  s.lastFailureTime = "2026-06-01T09:59:00Z";
  s.failedAttempts = -2;
  s.lastFailureReason = "Invalid";
  s.lastFailureMessage = "Secret \"x\" is invalid";
  s.automaticMints = {"2026-06-01T08:00:00Z", "2026-06-01T09:00:00Z"};
  s.previousToken =
      PreviousToken{"j0", "sha256:00", "2026-06-08T00:00:00Z", "2026-06-02T00:00:00Z"};
  s.conditions = {condition("Ready", "Token is valid"), condition("Stalled", "")};
  t.lastUsedTime = "2026-06-02T00:00:00Z";
  return t;
}

template <typename T>
T roundTrip(const ctrl::Packing<T>& packing, const T& object, std::string* bytesOut = nullptr) {
  std::string bytes;
  packing.pack(object, bytes);
  T back{};
  EXPECT_TRUE(packing.unpack(bytes, back));
  if (bytesOut) *bytesOut = bytes;
  return back;
}

TEST(ApiPackTest, AServiceTokenRoundTripsEveryField) {
  const ServiceToken t = fullToken();
  EXPECT_EQ(roundTrip(serviceTokenPacking(), t), t);
  ServiceToken empty;  // defaults: no optional set
  empty.meta.name = "e";
  EXPECT_EQ(roundTrip(serviceTokenPacking(), empty), empty);
}

TEST(ApiPackTest, AServiceUserRoundTripsEveryField) {
  ServiceUser u;
  u.meta = meta("airflow-user");
  u.spec = {"Airflow", "airflow@example.com", "Admin", {"data", "platform"}};
  u.status.userId = "airflow@service";
  u.status.observedGeneration = 4;
  u.status.conditions = {condition("Ready", "assigned")};
  EXPECT_EQ(roundTrip(serviceUserPacking(), u), u);
}

TEST(ApiPackTest, ATokenSecretRoundTripsEveryField) {
  TokenSecret s;
  s.meta = meta("af-secret");
  s.type = kSecretType;
  s.tokenHash = "sha256:" + std::string(64, 'b');
  s.previousTokenHash = "sha256:" + std::string(64, 'c');
  s.kid = "kid-1";
  s.previousKid = "kid-0";
  s.hasExpiresAt = true;
  EXPECT_EQ(roundTrip(tokenSecretPacking(), s), s);
}

TEST(ApiPackTest, TruncatedOrExtendedBytesDoNotUnpack) {
  std::string bytes;
  serviceTokenPacking().pack(fullToken(), bytes);
  ServiceToken back;
  for (size_t n = 0; n < bytes.size(); ++n) {
    EXPECT_FALSE(serviceTokenPacking().unpack(std::string_view(bytes).substr(0, n), back)) << n;
  }
  EXPECT_FALSE(serviceTokenPacking().unpack(bytes + "x", back));
}

// The figure behind the packing: what a typical Active token costs packed
// against its struct alone (its strings come on top of the struct).
TEST(ApiPackTest, ATypicalTokenPacksIntoAFractionOfItsStruct) {
  ServiceToken t = fullToken();
  t.spec = {};
  t.spec.displayName = "Airflow Service User";
  t.spec.expiration = "30d";
  t.status.previousToken.reset();
  t.status.automaticMints.clear();
  t.status.lastFailureTime.clear();
  t.status.lastFailureReason.clear();
  t.status.lastFailureMessage.clear();
  t.meta.deletionTimestamp.reset();
  std::string bytes;
  EXPECT_EQ(roundTrip(serviceTokenPacking(), t, &bytes), t);
  std::cout << "a typical ServiceToken: " << bytes.size() << " bytes packed, struct "
            << sizeof(ServiceToken) << " bytes plus its strings\n";
  EXPECT_LT(bytes.size(), sizeof(ServiceToken) / 2);
}

}  // namespace
}  // namespace st
