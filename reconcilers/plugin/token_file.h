// Writing a downloaded token to disk with owner-only permissions from the
// first byte: the file is created with mode 0600 (never chmod-ed afterwards),
// so no other user can open it, not even briefly.
#pragma once

#include <string>
#include <string_view>

#include "controller/status.h"

namespace st::plugin {

// Writes `contents` (exactly, no newline added) to `dir`/`fileName` and
// returns that path.
// - replace == false: creates the file with open(O_CREAT|O_EXCL|O_NOFOLLOW,
//   0600); an existing file (or symlink) is left untouched and the result is
//   AlreadyExists, with a message naming the path and --force.
// - replace == true: writes a temporary file (mode 0600) in `dir`, syncs it
//   and renames it over the target, so readers see the old or the new file,
//   never a partial one; a symlink at the target is replaced, not followed.
// `fileName` must be a plain name (no '/'). Errors: NotFound when `dir` does
// not exist, InvalidArgument for a bad file name, AlreadyExists as above,
// Internal for other I/O failures (message: path and strerror, never the
// contents). A failed write leaves no partial file behind.
ctrl::StatusOr<std::string> writeTokenFile(const std::string& dir, const std::string& fileName,
                                           std::string_view contents, bool replace);

}  // namespace st::plugin
