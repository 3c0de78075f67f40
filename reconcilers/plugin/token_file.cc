#include "plugin/token_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <vector>

namespace st::plugin {
namespace {

constexpr mode_t kMode = 0600;

ctrl::Status ioError(const std::string& what, const std::string& path, int err) {
  return ctrl::errorStatus(ctrl::Code::kInternal,
                           "cannot " + what + " " + path + ": " + std::strerror(err));
}

// Writes everything, retrying short writes and EINTR, then fsyncs.
ctrl::Status writeAllAndSync(int fd, std::string_view contents, const std::string& path) {
  while (!contents.empty()) {
    const ssize_t n = ::write(fd, contents.data(), contents.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError("write", path, errno);
    }
    contents.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) return ioError("sync", path, errno);
  return ctrl::Status::ok();
}

// Writes, syncs and closes `fd`; on any failure removes `path`.
ctrl::Status finish(int fd, std::string_view contents, const std::string& path) {
  ctrl::Status s = writeAllAndSync(fd, contents, path);
  if (::close(fd) != 0 && s.isOk()) s = ioError("close", path, errno);
  if (!s.isOk()) ::unlink(path.c_str());
  return s;
}

ctrl::Status checkDir(const std::string& dir) {
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno == ENOENT) {
      return ctrl::errorStatus(ctrl::Code::kNotFound,
                               "output directory " + dir + " does not exist");
    }
    return ioError("access output directory", dir, errno);
  }
  if (!S_ISDIR(st.st_mode)) {
    return ctrl::errorStatus(ctrl::Code::kInvalidArgument, dir + " is not a directory");
  }
  return ctrl::Status::ok();
}

ctrl::Status createExclusive(const std::string& path, std::string_view contents) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, kMode);
  if (fd < 0) {
    if (errno == EEXIST) {
      return ctrl::errorStatus(ctrl::Code::kAlreadyExists,
                               path +
                                   " already exists; not overwriting it (use --force to "
                                   "replace it)");
    }
    return ioError("create", path, errno);
  }
  return finish(fd, contents, path);
}

ctrl::Status replaceAtomically(const std::string& dir, const std::string& fileName,
                               const std::string& path, std::string_view contents) {
  // mkostemp creates the file with mode 0600 (O_EXCL, owner only).
  std::string tmpl = (std::filesystem::path(dir) / ("." + fileName + ".XXXXXX")).string();
  std::vector<char> buf(tmpl.begin(), tmpl.end());
  buf.push_back('\0');
  const int fd = ::mkostemp(buf.data(), O_CLOEXEC);
  if (fd < 0) return ioError("create a temporary file in", dir, errno);
  const std::string tmp(buf.data());
  if (auto s = finish(fd, contents, tmp); !s.isOk()) return s;
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ioError("replace", path, err);
  }
  // Make the rename itself durable; failing to sync the directory is not
  // worth failing the download for.
  if (const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC); dfd >= 0) {
    ::fsync(dfd);
    ::close(dfd);
  }
  return ctrl::Status::ok();
}

}  // namespace

ctrl::StatusOr<std::string> writeTokenFile(const std::string& dir, const std::string& fileName,
                                           std::string_view contents, bool replace) {
  if (fileName.empty() || fileName == "." || fileName == ".." ||
      fileName.find('/') != std::string::npos || fileName.find('\0') != std::string::npos) {
    return ctrl::errorStatus(ctrl::Code::kInvalidArgument, "not a plain file name: " + fileName);
  }
  if (auto s = checkDir(dir); !s.isOk()) return s;
  const std::string path = (std::filesystem::path(dir) / fileName).string();
  ctrl::Status s =
      replace ? replaceAtomically(dir, fileName, path, contents) : createExclusive(path, contents);
  if (!s.isOk()) return s;
  return path;
}

}  // namespace st::plugin
