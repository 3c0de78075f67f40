#include "rest/file_reader.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

namespace ctrl::rest {

StatusOr<std::string> readFileLimited(const std::string& path, size_t maxBytes) {
  std::error_code ec;
  const auto status = std::filesystem::status(path, ec);
  if (ec || !std::filesystem::exists(status)) {
    return errorStatus(Code::kNotFound, "file " + path + " does not exist");
  }
  if (!std::filesystem::is_regular_file(status)) {
    return errorStatus(Code::kInvalidArgument, "file " + path + " is not a regular file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return errorStatus(Code::kUnavailable,
                       "cannot open file " + path + ": " + std::strerror(errno));
  }
  // Read one byte more than allowed so an oversized file is detected without
  // trusting the size reported by stat (the file may change underneath).
  std::string out;
  out.resize(maxBytes + 1);
  in.read(out.data(), static_cast<std::streamsize>(out.size()));
  if (in.bad()) return errorStatus(Code::kUnavailable, "cannot read file " + path);
  const auto got = static_cast<size_t>(in.gcount());
  if (got > maxBytes) {
    return errorStatus(Code::kInvalidArgument,
                       "file " + path + " is larger than " + std::to_string(maxBytes) + " bytes");
  }
  out.resize(got);
  return out;
}

std::string resolvePath(std::string_view baseDir, std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_absolute() || baseDir.empty()) return std::string(path);
  return (std::filesystem::path(baseDir) / p).string();
}

}  // namespace ctrl::rest
