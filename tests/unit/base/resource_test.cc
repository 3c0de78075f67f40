// Resource paths for core, grouped, cluster-scoped and subresources;
// urlEscape keeps only RFC 3986 unreserved characters.
#include "controller/resource.h"

#include <gtest/gtest.h>

namespace {

TEST(ResourceTest, ApiVersionOfCoreAndGroupedResources) {
  EXPECT_EQ(ctrl::resources::secret().apiVersion(), "v1");
  EXPECT_EQ(ctrl::resources::lease().apiVersion(), "coordination.k8s.io/v1");
}

TEST(ResourceTest, CorePaths) {
  const auto& secrets = ctrl::resources::secret();
  EXPECT_EQ(secrets.path(), "/api/v1/secrets");
  EXPECT_EQ(secrets.path("ns"), "/api/v1/namespaces/ns/secrets");
  EXPECT_EQ(secrets.path("ns", "s1"), "/api/v1/namespaces/ns/secrets/s1");
}

TEST(ResourceTest, GroupedPaths) {
  EXPECT_EQ(ctrl::resources::lease().path("kube-system", "leader"),
            "/apis/coordination.k8s.io/v1/namespaces/kube-system/leases/leader");
  EXPECT_EQ(ctrl::resources::event().path("ns"), "/apis/events.k8s.io/v1/namespaces/ns/events");
}

TEST(ResourceTest, ClusterScopedPathsIgnoreTheNamespace) {
  EXPECT_EQ(ctrl::resources::namespace_().path("", "default"), "/api/v1/namespaces/default");
  EXPECT_EQ(ctrl::resources::clusterRoleBinding().path("ns", "crb"),
            "/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/crb");
  EXPECT_EQ(ctrl::resources::customResourceDefinition().path(),
            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions");
}

TEST(ResourceTest, SubresourcePaths) {
  ctrl::Resource widgets{"example.dev", "v1alpha1", "widgets", "Widget", true};
  EXPECT_EQ(widgets.path("ns", "w", "status"),
            "/apis/example.dev/v1alpha1/namespaces/ns/widgets/w/status");
  EXPECT_EQ(ctrl::resources::serviceAccount().path("ns", "sa", "token"),
            "/api/v1/namespaces/ns/serviceaccounts/sa/token");
  EXPECT_EQ(ctrl::resources::namespace_().path("", "ns1", "finalize"),
            "/api/v1/namespaces/ns1/finalize");
}

TEST(ResourceTest, NamesAreEscaped) {
  EXPECT_EQ(ctrl::resources::configMap().path("n s", "a/b"),
            "/api/v1/namespaces/n%20s/configmaps/a%2Fb");
}

TEST(ResourceTest, WellKnownKindsAndScopes) {
  EXPECT_EQ(ctrl::resources::configMap().kind, "ConfigMap");
  EXPECT_TRUE(ctrl::resources::role().namespaced);
  EXPECT_TRUE(ctrl::resources::roleBinding().namespaced);
  EXPECT_FALSE(ctrl::resources::clusterRole().namespaced);
  EXPECT_EQ(ctrl::resources::clusterRole().plural, "clusterroles");
}

TEST(UrlEscapeTest, KeepsUnreservedAndEscapesEverythingElse) {
  EXPECT_EQ(ctrl::urlEscape("AZaz09-._~"), "AZaz09-._~");
  EXPECT_EQ(ctrl::urlEscape("a=b,c d&e/f?g+h%"), "a%3Db%2Cc%20d%26e%2Ff%3Fg%2Bh%25");
  EXPECT_EQ(ctrl::urlEscape("\xC3\xA9"), "%C3%A9");  // UTF-8 bytes, upper-case hex
  EXPECT_EQ(ctrl::urlEscape(""), "");
}

}  // namespace
