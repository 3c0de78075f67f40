// Which requests the chaos tier's fault proxy (tests/support/fault_proxy.h)
// may execute and then lose the answer of: Secret creates and replacements,
// and ServiceToken status writes, nothing else.
#include <gtest/gtest.h>

#include "fault_proxy.h"

namespace {

using sttest::classifyForDrop;
using sttest::DropKind;

TEST(FaultProxyClassify, SecretCreatesAreTheCollectionPost) {
  DropKind kind{};
  ASSERT_TRUE(classifyForDrop("POST", "/api/v1/namespaces/ns/secrets", kind));
  EXPECT_EQ(kind, DropKind::kSecretCreate);
  ASSERT_TRUE(classifyForDrop("POST", "/api/v1/namespaces/ns/secrets?fieldManager=x", kind));
  EXPECT_EQ(kind, DropKind::kSecretCreate);
}

TEST(FaultProxyClassify, SecretUpdatesAreThePutOfOneSecret) {
  DropKind kind{};
  ASSERT_TRUE(classifyForDrop("PUT", "/api/v1/namespaces/ns/secrets/token-1?fieldManager=x", kind));
  EXPECT_EQ(kind, DropKind::kSecretUpdate);
}

TEST(FaultProxyClassify, StatusWritesArePutOrPatchOnTheSubresource) {
  for (const char* method : {"PUT", "PATCH"}) {
    DropKind kind{};
    ASSERT_TRUE(classifyForDrop(
        method, "/apis/servicetoken.dev/v1alpha1/namespaces/ns/servicetokens/t/status?x=1", kind))
        << method;
    EXPECT_EQ(kind, DropKind::kStatusWrite);
  }
}

TEST(FaultProxyClassify, EverythingElseIsForwardedAsIs) {
  DropKind kind{};
  EXPECT_FALSE(classifyForDrop("GET", "/api/v1/namespaces/ns/secrets", kind));
  EXPECT_FALSE(classifyForDrop("PATCH", "/api/v1/namespaces/ns/secrets/s", kind));
  EXPECT_FALSE(classifyForDrop("POST", "/api/v1/namespaces/ns/configmaps", kind));
  EXPECT_FALSE(classifyForDrop("POST", "/api/v1/namespaces/ns/secrets/s/extra", kind));
  EXPECT_FALSE(classifyForDrop(
      "PATCH", "/apis/servicetoken.dev/v1alpha1/namespaces/ns/servicetokens/t", kind));
  EXPECT_FALSE(classifyForDrop(
      "GET", "/apis/servicetoken.dev/v1alpha1/namespaces/ns/servicetokens/t/status", kind));
  EXPECT_FALSE(classifyForDrop(
      "PATCH", "/apis/servicetoken.dev/v1alpha1/namespaces/ns/serviceusers/u/status", kind));
  EXPECT_FALSE(classifyForDrop("POST", "", kind));
}

}  // namespace
