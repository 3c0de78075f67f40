#include <unistd.h>

#include <array>
#include <cstdio>

#include "controller/log.h"
#include "log/output.h"

namespace ctrl::log {

std::string Value::durationString(std::chrono::nanoseconds d) {
  // Shortest form that round-trips: 30s, 0.25s, 1e-06s.
  std::array<char, 32> buf{};
  std::snprintf(buf.data(), buf.size(), "%.9gs", std::chrono::duration<double>(d).count());
  return buf.data();
}

Logger Logger::named(std::string_view name) const {
  Logger child = *this;
  if (!child.name_.empty() && !name.empty()) child.name_ += '.';
  child.name_ += name;
  return child;
}

Logger Logger::withValues(Fields fields) const {
  Logger child = *this;
  child.values_.insert(child.values_.end(), fields.begin(), fields.end());
  return child;
}

Logger Logger::withValues(const std::vector<Field>& fields) const {
  Logger child = *this;
  child.values_.insert(child.values_.end(), fields.begin(), fields.end());
  return child;
}

Logger Logger::v(int level) const {
  Logger child = *this;
  child.v_ += level < 0 ? 0 : level;
  return child;
}

bool Logger::enabled() const { return v_ <= verbosity(); }

void Logger::info(std::string_view msg, Fields fields, SourceLocation loc) const {
  emit(v_, nullptr, msg, fields, loc);
}

void Logger::debug(std::string_view msg, Fields fields, SourceLocation loc) const {
  emit(v_ + kDebugLevel, nullptr, msg, fields, loc);
}

void Logger::trace(std::string_view msg, Fields fields, SourceLocation loc) const {
  emit(v_ + kTraceLevel, nullptr, msg, fields, loc);
}

void Logger::warn(std::string_view msg, Fields fields, SourceLocation loc) const {
  emit(kWarnLevel, nullptr, msg, fields, loc);
}

void Logger::error(std::string_view msg, Fields fields, SourceLocation loc) const {
  emit(kErrorLevel, nullptr, msg, fields, loc);
}

void Logger::error(const Status& err, std::string_view msg, Fields fields,
                   SourceLocation loc) const {
  emit(kErrorLevel, &err, msg, fields, loc);
}

void Logger::emit(int level, const Status* err, std::string_view msg, Fields fields,
                  const SourceLocation& loc) const {
  // Errors are written at every verbosity, as logr does.
  if (level > kErrorLevel && level > verbosity()) return;
  static thread_local const long tid = static_cast<long>(::gettid());
  const std::string error = err != nullptr ? err->toString() : std::string();
  internal::Record record;
  record.time = std::chrono::system_clock::now();
  record.level = level;
  record.threadId = tid;
  record.logger = name_;
  record.msg = msg;
  record.loc = loc;
  record.error = error;
  record.loggerValues = &values_;
  record.fields = fields;
  internal::write(record);
}

}  // namespace ctrl::log
