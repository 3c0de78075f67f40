#include "policy/naming.h"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(DeriveUserId, FollowsTheProductRule) {
  EXPECT_EQ(deriveUserId("Pipeline Automation", "data"), "pipeline_automation@data.service");
  EXPECT_EQ(deriveUserId("Airflow Service User", "data"), "airflow_service_user@data.service");
  EXPECT_EQ(deriveUserId("dbt-Cloud (prod) #2", "data"), "dbtcloud_prod_2@data.service");
  EXPECT_EQ(deriveUserId("already_snake", "data"), "already_snake@data.service");
  EXPECT_EQ(deriveUserId("Ünïcode Näme", "data"), "ncode_nme@data.service");
  EXPECT_EQ(deriveUserId("", "data"), "@data.service");
}

TEST(DownloadFileName, LowercasesAndReplacesSpacesAndSlashes) {
  EXPECT_EQ(downloadFileName("Airflow Service User"), "airflow-service-user-token.txt");
  EXPECT_EQ(downloadFileName("CI/CD Pipeline"), "ci-cd-pipeline-token.txt");
  EXPECT_EQ(downloadFileName("../etc/passwd"), "..-etc-passwd-token.txt");
  EXPECT_EQ(downloadFileName(std::string("a\0b\nc", 5)), "a-b-c-token.txt");
}

}  // namespace
}  // namespace st
