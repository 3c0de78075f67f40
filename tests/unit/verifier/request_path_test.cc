// Normalising the original request path, and the SCIM prefix rule on it:
// every spelling that reaches a non-SCIM path on a lenient upstream is
// outside /scim/v2/ after normalisation.
#include "verifier/request_path.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace {

using st::verifier::isScimPath;
using st::verifier::normalizeRequestPath;

std::string norm(const std::string& uri) {
  auto p = normalizeRequestPath(uri);
  EXPECT_TRUE(p.isOk()) << uri << ": " << p.status().toString();
  return p.isOk() ? *p : "<error>";
}

TEST(RequestPath, LeavesACleanPathAloneAndDropsQueryAndFragment) {
  EXPECT_EQ(norm("/scim/v2/Users"), "/scim/v2/Users");
  EXPECT_EQ(norm("/scim/v2/Users?filter=userName%20eq%20%22a%22"), "/scim/v2/Users");
  EXPECT_EQ(norm("/api/v1/x#frag"), "/api/v1/x");
  EXPECT_EQ(norm(""), "/");
  EXPECT_EQ(norm("/"), "/");
}

TEST(RequestPath, RemovesDotSegmentsNeverAboveTheRoot) {
  EXPECT_EQ(norm("/scim/v2/../api/x"), "/scim/api/x");
  EXPECT_EQ(norm("/scim/v2/../../api/x"), "/api/x");
  EXPECT_EQ(norm("/scim/v2/./Users"), "/scim/v2/Users");
  EXPECT_EQ(norm("/../../etc"), "/etc");
  EXPECT_EQ(norm("/a/b/.."), "/a/");
  EXPECT_EQ(norm("/a/b/."), "/a/b/");
}

TEST(RequestPath, CollapsesDuplicateSlashesAndReadsBackslashAsSlash) {
  EXPECT_EQ(norm("//scim///v2//Users"), "/scim/v2/Users");
  EXPECT_EQ(norm("/scim/v2/..\\api"), "/scim/api");
  EXPECT_EQ(norm("/a/b/"), "/a/b/");
}

TEST(RequestPath, PercentDecodesOnceBeforeRemovingDotSegments) {
  EXPECT_EQ(norm("/scim/v2/%2e%2e/api"), "/scim/api");
  EXPECT_EQ(norm("/scim/v2/%2E%2E%2F%2E%2E%2Fapi"), "/api");
  EXPECT_EQ(norm("/scim%2Fv2%2FUsers"), "/scim/v2/Users");
  EXPECT_EQ(norm("/%73cim/v2/Users"), "/scim/v2/Users");
}

TEST(RequestPath, DropsPathParametersAsTomcatDoes) {
  EXPECT_EQ(norm("/scim/v2/..;/..;/api"), "/api");
  EXPECT_EQ(norm("/scim/v2/Users;jsessionid=1"), "/scim/v2/Users");
}

TEST(RequestPath, TakesThePathOfAnAbsoluteFormUri) {
  EXPECT_EQ(norm("https://api.example.com/scim/v2/Users?x=1"), "/scim/v2/Users");
  EXPECT_EQ(norm("HTTP://api.example.com"), "/");
}

TEST(RequestPath, RefusesWhatItCannotReadUnambiguously) {
  for (const std::string& uri : std::vector<std::string>{
           "/scim/v2/%2", "/scim/v2/%zz", "/scim/v2/%252e%252e/api", "/scim/v2/%00", "/a\x01",
           "scim/v2/Users", "*", "ftp://host/scim/v2/Users",
           "/" + std::string(st::verifier::kMaxUriBytes, 'a')}) {
    EXPECT_FALSE(normalizeRequestPath(uri).isOk()) << uri;
  }
  std::string many;
  for (size_t i = 0; i <= st::verifier::kMaxSegments; ++i) many += "/a";
  EXPECT_FALSE(normalizeRequestPath(many).isOk());
}

TEST(RequestPath, TheScimPrefixIsComparedWithoutCase) {
  EXPECT_TRUE(isScimPath("/scim/v2/Users"));
  EXPECT_TRUE(isScimPath("/SCIM/V2/Users"));
  EXPECT_TRUE(isScimPath("/scim/v2/"));
  EXPECT_FALSE(isScimPath("/scim/v2"));
  EXPECT_FALSE(isScimPath("/scim/v20/Users"));
  EXPECT_FALSE(isScimPath("/scim/v1/Users"));
  EXPECT_FALSE(isScimPath("/api/scim/v2/Users"));
}

}  // namespace
