#include "rest/token_source.h"

#include <utility>

#include "rest/file_reader.h"

namespace ctrl::rest {
namespace {

constexpr size_t kMaxTokenBytes = 1 << 20;

std::string trim(std::string s) {
  const char* ws = " \t\r\n";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string::npos) return {};
  const auto last = s.find_last_not_of(ws);
  return s.substr(first, last - first + 1);
}

}  // namespace

FileTokenSource::FileTokenSource(std::string path, Duration refreshPeriod, const Clock& clock)
    : path_(std::move(path)), refreshPeriod_(refreshPeriod), clock_(clock) {}

StatusOr<std::string> FileTokenSource::readToken() const {
  auto text = readFileLimited(path_, kMaxTokenBytes);
  if (!text.isOk()) return text.status();
  std::string token = trim(std::move(text).value());
  if (token.empty()) {
    return errorStatus(Code::kInvalidArgument, "token file " + path_ + " is empty");
  }
  return token;
}

Status FileTokenSource::load() {
  auto token = readToken();
  if (!token.isOk()) return token.status();
  std::lock_guard lock(mu_);
  token_ = std::move(token).value();
  lastRead_ = clock_.now();
  loaded_ = true;
  return Status::ok();
}

std::string FileTokenSource::token() {
  std::lock_guard lock(mu_);
  const MonoTime now = clock_.now();
  if (loaded_ && now - lastRead_ < refreshPeriod_) return token_;
  // Reading under the lock keeps concurrent callers from all hitting the
  // file at once; the file is small.
  auto fresh = readToken();
  if (fresh.isOk()) {
    token_ = std::move(fresh).value();
    lastRead_ = now;
    loaded_ = true;
  }
  // On failure keep the last good token and try again on the next call.
  return token_;
}

std::function<std::string()> FileTokenSource::asFunction(std::shared_ptr<FileTokenSource> source) {
  return [source = std::move(source)] { return source->token(); };
}

}  // namespace ctrl::rest
