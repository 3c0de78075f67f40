#include "log/render.h"

#include <time.h>

#include <array>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ctrl::log::internal {
namespace {

using nlohmann::json;

// nlohmann's default dump throws on invalid UTF-8; a log line must never throw.
std::string dumpJson(const json& j) {
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string jsonQuoted(std::string_view s) { return dumpJson(json(s)); }

json toJson(const Value& value) {
  return std::visit(
      [](const auto& v) -> json {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::nullptr_t>) {
          return nullptr;
        } else {
          return json(v);
        }
      },
      value.get());
}

// "file.cc:42": the base name, as klog and zap print it.
std::string caller(const SourceLocation& loc) {
  std::string_view file = loc.file_name();
  if (const auto slash = file.rfind('/'); slash != std::string_view::npos) {
    file.remove_prefix(slash + 1);
  }
  return std::string(file) + ":" + std::to_string(loc.line());
}

struct BrokenDown {
  std::tm fields{};
  long micros = 0;
};

BrokenDown breakDown(std::chrono::system_clock::time_point t) {
  using namespace std::chrono;
  const auto secs = floor<seconds>(t);
  BrokenDown out;
  out.micros = static_cast<long>(duration_cast<microseconds>(t - secs).count());
  const time_t tt = system_clock::to_time_t(secs);
  gmtime_r(&tt, &out.fields);
  return out;
}

std::string rfc3339(std::chrono::system_clock::time_point t) {
  const BrokenDown b = breakDown(t);
  // Sized for the widest values the fields can hold, so nothing is truncated.
  std::array<char, 96> buf{};
  std::snprintf(buf.data(), buf.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%06ldZ",
                b.fields.tm_year + 1900, b.fields.tm_mon + 1, b.fields.tm_mday, b.fields.tm_hour,
                b.fields.tm_min, b.fields.tm_sec, b.micros);
  return buf.data();
}

std::string_view levelName(int level) {
  if (level <= kErrorLevel) return "error";
  if (level == kWarnLevel) return "warn";
  if (level == kInfoLevel) return "info";
  return "debug";
}

bool reservedJsonKey(std::string_view key, bool hasError) {
  return key == "ts" || key == "level" || key == "msg" || key == "logger" || key == "caller" ||
         key == "v" || (hasError && key == "error");
}

void appendJsonMember(std::string& out, std::string_view key, const json& value) {
  out += ',';
  out += jsonQuoted(key);
  out += ':';
  out += dumpJson(value);
}

// klog keys are bare words; anything else would make the line ambiguous.
std::string textKey(std::string_view key) {
  if (key.empty()) return "_";
  std::string out(key);
  for (char& c : out) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '_' || c == '.' || c == '-' || c == '/';
    if (!ok) c = '_';
  }
  return out;
}

void appendTextMember(std::string& out, std::string_view key, const json& value) {
  out += ' ';
  out += textKey(key);
  out += '=';
  out += dumpJson(value);
}

}  // namespace

std::string renderJson(const Record& r) {
  const bool hasError = !r.error.empty();
  std::string out = "{\"ts\":";
  out += jsonQuoted(rfc3339(r.time));
  appendJsonMember(out, "level", levelName(r.level));
  appendJsonMember(out, "msg", r.msg);
  if (!r.logger.empty()) appendJsonMember(out, "logger", r.logger);
  appendJsonMember(out, "caller", caller(r.loc));
  if (r.level > kInfoLevel) appendJsonMember(out, "v", r.level);
  if (hasError) appendJsonMember(out, "error", r.error);
  auto field = [&](const Field& f) {
    const std::string key = reservedJsonKey(f.key, hasError) ? "_" + f.key : f.key;
    appendJsonMember(out, key, toJson(f.value));
  };
  if (r.loggerValues != nullptr) {
    for (const Field& f : *r.loggerValues) field(f);
  }
  for (const Field& f : r.fields) field(f);
  out += '}';
  return out;
}

std::string renderText(const Record& r) {
  const BrokenDown b = breakDown(r.time);
  const char severity = r.level <= kErrorLevel ? 'E' : r.level == kWarnLevel ? 'W' : 'I';
  std::array<char, 64> header{};
  std::snprintf(header.data(), header.size(), "%c%02d%02d %02d:%02d:%02d.%06ld %7ld ", severity,
                b.fields.tm_mon + 1, b.fields.tm_mday, b.fields.tm_hour, b.fields.tm_min,
                b.fields.tm_sec, b.micros, r.threadId);
  std::string out = header.data();
  out += caller(r.loc);
  out += "] ";
  out += jsonQuoted(r.msg);
  if (!r.logger.empty()) appendTextMember(out, "logger", r.logger);
  if (!r.error.empty()) appendTextMember(out, "error", r.error);
  if (r.loggerValues != nullptr) {
    for (const Field& f : *r.loggerValues) appendTextMember(out, f.key, toJson(f.value));
  }
  for (const Field& f : r.fields) appendTextMember(out, f.key, toJson(f.value));
  return out;
}

}  // namespace ctrl::log::internal
