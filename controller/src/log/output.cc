#include "log/output.h"

#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>

#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <string>

namespace ctrl::log {
namespace {

struct Output {
  std::atomic<int> verbosity{kInfoLevel};
  std::mutex mu;
  Format format = Format::kText;           // guarded by mu
  std::shared_ptr<spdlog::logger> logger;  // guarded by mu
};

std::shared_ptr<spdlog::logger> makeLogger(std::ostream* out) {
  std::shared_ptr<spdlog::sinks::sink> sink;
  if (out != nullptr) {
    sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(*out, /*force_flush=*/true);
  } else {
    // The stdout/stderr sinks flush after every line.
    sink = std::make_shared<spdlog::sinks::stderr_sink_mt>();
  }
  // Not registered in spdlog's registry: this logger is ours alone.
  auto logger = std::make_shared<spdlog::logger>("ctrl", std::move(sink));
  // Lines are fully rendered by us; spdlog adds only the end of line.
  logger->set_formatter(std::make_unique<spdlog::pattern_formatter>(
      "%v", spdlog::pattern_time_type::utc, std::string("\n")));
  logger->set_level(spdlog::level::trace);  // filtering happens before rendering
  return logger;
}

Output& output() {
  static Output* const instance = [] {
    auto* o = new Output;  // never destroyed: logging may happen during exit
    o->logger = makeLogger(nullptr);
    return o;
  }();
  return *instance;
}

spdlog::level::level_enum spdlogLevel(int level) {
  if (level <= kErrorLevel) return spdlog::level::err;
  if (level == kWarnLevel) return spdlog::level::warn;
  if (level == kInfoLevel) return spdlog::level::info;
  if (level < kTraceLevel) return spdlog::level::debug;
  return spdlog::level::trace;
}

}  // namespace

namespace internal {

void write(const Record& record) {
  Output& o = output();
  Format format;
  std::shared_ptr<spdlog::logger> logger;
  {
    std::lock_guard lock(o.mu);
    format = o.format;
    logger = o.logger;
  }
  const std::string line = format == Format::kJson ? renderJson(record) : renderText(record);
  try {
    logger->log(spdlogLevel(record.level), spdlog::string_view_t(line.data(), line.size()));
  } catch (...) {  // NOLINT: a failed log write must not take the caller down
  }
}

}  // namespace internal

StatusOr<Format> parseFormat(std::string_view format) {
  if (format == "json") return Format::kJson;
  if (format == "text") return Format::kText;
  return errorStatus(Code::kInvalidArgument,
                     "log format \"" + std::string(format) + "\" is not one of json, text");
}

StatusOr<int> parseLevel(std::string_view level) {
  if (level == "error") return kErrorLevel;
  if (level == "warn") return kWarnLevel;
  if (level == "info") return kInfoLevel;
  if (level == "debug") return kDebugLevel;
  if (level == "trace") return kTraceLevel;
  int n = -1;
  const auto [end, ec] = std::from_chars(level.data(), level.data() + level.size(), n);
  if (!level.empty() && ec == std::errc() && end == level.data() + level.size() && n >= 0 &&
      n <= kMaxLevel) {
    return n;
  }
  return errorStatus(Code::kInvalidArgument,
                     "log level \"" + std::string(level) +
                         "\" is not one of error, warn, info, debug, trace or 0.." +
                         std::to_string(kMaxLevel));
}

Status setupLogging(std::string_view format, std::string_view level) {
  const StatusOr<Format> f = parseFormat(format);
  if (!f.isOk()) return f.status();
  const StatusOr<int> v = parseLevel(level);
  if (!v.isOk()) return v.status();
  configure(*f, *v);
  return Status::ok();
}

void configure(Format format, int verbosity, std::ostream* out) {
  auto logger = makeLogger(out);
  Output& o = output();
  std::lock_guard lock(o.mu);
  o.format = format;
  o.logger = std::move(logger);
  o.verbosity.store(verbosity, std::memory_order_relaxed);
}

int verbosity() { return output().verbosity.load(std::memory_order_relaxed); }

}  // namespace ctrl::log
