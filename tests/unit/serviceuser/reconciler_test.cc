#include "serviceuser/reconciler.h"

#include <gtest/gtest.h>

#include "servicetoken/conditions.h"

namespace st {
namespace {

std::shared_ptr<const ServiceUser> user(const std::string& name, const std::string& display,
                                        int createdDay) {
  auto u = std::make_shared<ServiceUser>();
  u->meta.name = name;
  u->meta.namespace_ = "default";
  u->meta.uid = "uid-" + name;
  u->meta.generation = 1;
  u->meta.creationTimestamp =
      std::chrono::sys_days{std::chrono::year{2026} / 1 / 1} + std::chrono::days(createdDay);
  u->spec.displayName = display;
  return u;
}

TEST(ServiceUserStatus, DerivesTheUserIdAndIsReady) {
  auto u = user("p", "Pipeline Automation", 0);
  ServiceUserStatus s = desiredUserStatus(*u, {u}, ctrl::WallTime{});
  EXPECT_EQ(s.userId, "pipeline_automation@default.service");
  EXPECT_EQ(s.observedGeneration, 1);
  EXPECT_EQ(findCondition(s.conditions, "Ready")->status, "True");
}

TEST(ServiceUserStatus, TheYoungerOfTwoClashingUsersIsNotReady) {
  auto older = user("a", "Pipeline Automation", 0);
  auto younger = user("b", "pipeline automation", 3);
  ServiceUserStatus o = desiredUserStatus(*older, {older, younger}, ctrl::WallTime{});
  ServiceUserStatus y = desiredUserStatus(*younger, {older, younger}, ctrl::WallTime{});
  EXPECT_EQ(findCondition(o.conditions, "Ready")->status, "True");
  EXPECT_EQ(findCondition(y.conditions, "Ready")->status, "False");
  EXPECT_EQ(findCondition(y.conditions, "Ready")->reason, "UserIdConflict");
  EXPECT_EQ(o.userId, "pipeline_automation@default.service");
  EXPECT_EQ(y.userId, "pipeline_automation@default.service");
  EXPECT_NE(findCondition(y.conditions, "Ready")->message.find("default/a"), std::string::npos)
      << "the message names the holder";
}

TEST(ServiceUserStatus, ADisplayNameWithoutLettersOrDigitsIsNeverReady) {
  auto u = user("p", "!! -- !!", 0);
  ServiceUserStatus s = desiredUserStatus(*u, {u}, ctrl::WallTime{});
  EXPECT_EQ(findCondition(s.conditions, "Ready")->status, "False");
  EXPECT_EQ(findCondition(s.conditions, "Ready")->reason, "InvalidDisplayName");
}

// The same display name in another namespace is another identity: no clash,
// and no id that could pass from one namespace to the other.
TEST(ServiceUserStatus, UsersInOtherNamespacesNeverShareAnId) {
  auto here = user("a", "Pipeline Automation", 0);
  auto there = std::make_shared<ServiceUser>(*user("a", "Pipeline Automation", 5));
  there->meta.namespace_ = "team-b";
  there->meta.uid = "uid-team-b";
  ServiceUserStatus t = desiredUserStatus(*there, {there}, ctrl::WallTime{});
  EXPECT_EQ(t.userId, "pipeline_automation@team-b.service");
  EXPECT_NE(t.userId, desiredUserStatus(*here, {here}, ctrl::WallTime{}).userId);
  EXPECT_EQ(findCondition(t.conditions, "Ready")->status, "True");
}

}  // namespace
}  // namespace st
