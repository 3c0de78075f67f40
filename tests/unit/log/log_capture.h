// A fixture that points the process-wide log output at a string stream for
// the duration of one test, and splits what was written into lines.
#pragma once

#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "controller/log.h"

namespace ctrl::log {

class LogCaptureTest : public ::testing::Test {
 protected:
  void capture(Format format, int verbosity) { configure(format, verbosity, &out_); }
  void TearDown() override { configure(Format::kText, kInfoLevel); }

  std::vector<std::string> lines() const {
    std::vector<std::string> result;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) result.push_back(line);
    return result;
  }
  std::string text() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

}  // namespace ctrl::log
