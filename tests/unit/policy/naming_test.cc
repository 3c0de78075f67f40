#include "policy/naming.h"

#include <gtest/gtest.h>

namespace st {
namespace {

TEST(DeriveUserId, FollowsTheProductRule) {
  EXPECT_EQ(deriveUserId("Pipeline Automation"), "pipeline_automation@service");
  EXPECT_EQ(deriveUserId("Airflow Service User"), "airflow_service_user@service");
  EXPECT_EQ(deriveUserId("dbt-Cloud (prod) #2"), "dbtcloud_prod_2@service");
  EXPECT_EQ(deriveUserId("already_snake"), "already_snake@service");
  EXPECT_EQ(deriveUserId("Ünïcode Näme"), "ncode_nme@service");
  EXPECT_EQ(deriveUserId(""), "@service");
}

TEST(DownloadFileName, LowercasesAndReplacesSpacesAndSlashes) {
  EXPECT_EQ(downloadFileName("Airflow Service User"), "airflow-service-user-token.txt");
  EXPECT_EQ(downloadFileName("CI/CD Pipeline"), "ci-cd-pipeline-token.txt");
  EXPECT_EQ(downloadFileName("../etc/passwd"), "..-etc-passwd-token.txt");
  EXPECT_EQ(downloadFileName(std::string("a\0b\nc", 5)), "a-b-c-token.txt");
}

}  // namespace
}  // namespace st
