// Names derived from display names (PRODUCT.md §1, §2).
#pragma once

#include <string>
#include <string_view>

namespace st {

// The ServiceUser's userId, the `sub` of its tokens: the display name
// lowercased, spaces become '_', characters outside [a-z0-9_] are dropped,
// then "@<namespace>.service" is appended.
// ("Pipeline Automation", "data") -> "pipeline_automation@data.service".
//
// The namespace is part of the id so that an id can never pass from a user in
// one namespace to a user in another (whose tokens would then act as the
// same subject while the first user's tokens are still valid offline): within
// one namespace the same people administer both. Display names are immutable
// (CRD rule), so the id never changes under a minted token.
std::string deriveUserId(std::string_view displayName, std::string_view ns);

// The file `kubectl servicetoken download` writes: lowercase, spaces and '/'
// become '-', then "-token.txt". "Airflow Service User" ->
// "airflow-service-user-token.txt". Characters that are unsafe in a file name
// (NUL, control characters, '\\') become '-' too, and a name that would be
// "." or ".." is prefixed, so the result is always a plain file name.
std::string downloadFileName(std::string_view displayName);

}  // namespace st
