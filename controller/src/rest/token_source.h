// A bearer token read from a file and re-read when it may have changed, so a
// rotated token (projected service-account tokens, kubeconfig tokenFile) is
// picked up without a restart. Like client-go's cachingTokenSource.
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "controller/clock.h"
#include "controller/status.h"

namespace ctrl::rest {

class FileTokenSource {
 public:
  // Reads `path` at most once per `refreshPeriod` of `clock` time (zero: on
  // every call). `clock` must outlive this object and every function made by
  // asFunction().
  FileTokenSource(std::string path, Duration refreshPeriod, const Clock& clock);
  FileTokenSource(const FileTokenSource&) = delete;
  FileTokenSource& operator=(const FileTokenSource&) = delete;

  // Reads the file now. Errors: those of readFileLimited, InvalidArgument when
  // the file holds no token. Never puts the token into a message.
  Status load();

  // The current token (surrounding whitespace removed). When a re-read fails
  // or yields an empty file, keeps returning the last good token (a rotation
  // writes the file non-atomically in some setups). Thread-safe.
  std::string token();

  // Wraps a shared source for RestConfig::bearerToken.
  static std::function<std::string()> asFunction(std::shared_ptr<FileTokenSource> source);

 private:
  StatusOr<std::string> readToken() const;

  const std::string path_;
  const Duration refreshPeriod_;
  const Clock& clock_;
  std::mutex mu_;
  std::string token_;
  MonoTime lastRead_{};
  bool loaded_ = false;
};

}  // namespace ctrl::rest
