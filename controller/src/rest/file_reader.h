// Small file helpers for the rest component: bounded reads (config files may
// be attacker-sized) and path resolution relative to a kubeconfig's directory.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "controller/status.h"

namespace ctrl::rest {

// Reads the whole file at `path`. Errors: NotFound when it does not exist,
// InvalidArgument when it is larger than `maxBytes` or not a regular file,
// Unavailable for other I/O errors. Messages name the path, never contents.
// Thread-safe.
StatusOr<std::string> readFileLimited(const std::string& path, size_t maxBytes);

// Returns `path` unchanged when absolute or when `baseDir` is empty, else
// baseDir/path.
std::string resolvePath(std::string_view baseDir, std::string_view path);

}  // namespace ctrl::rest
