// Names derived from display names (PRODUCT.md §1, §2).
#pragma once

#include <string>
#include <string_view>

namespace st {

// The ServiceUser's userId: lowercase, spaces become '_', characters outside
// [a-z0-9_] are dropped, then "@service" is appended.
// "Pipeline Automation" -> "pipeline_automation@service".
std::string deriveUserId(std::string_view displayName);

// The file `kubectl servicetoken download` writes: lowercase, spaces and '/'
// become '-', then "-token.txt". "Airflow Service User" ->
// "airflow-service-user-token.txt". Characters that are unsafe in a file name
// (NUL, control characters, '\\') become '-' too, and a name that would be
// "." or ".." is prefixed, so the result is always a plain file name.
std::string downloadFileName(std::string_view displayName);

}  // namespace st
