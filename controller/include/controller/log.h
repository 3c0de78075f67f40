// Structured logging in the Kubernetes style, over spdlog.
//
//   ctrl::log::info("Created Secret", {{"Secret", "ns/name"}, {"revision", 3}});
//   auto log = ctrl::log::named("manager").withValues({{"controller", "servicetoken"}});
//   log.v(2).info("Requeued item", {{"after", "30s"}});
//   log.error(status, "Failed to update status", {{"ServiceToken", "ns/name"}});
//
// Conventions (Kubernetes logging guidelines):
// - Messages start with a capital letter, state a fact in the past tense
//   ("Created Secret", "Failed to renew lease") and have no trailing period.
// - Details go into key/value fields, never into the message: object kinds as
//   keys with "namespace/name" values ("Secret": "ns/name"), other keys
//   lowerCamelCase. Keys should be identifiers ([A-Za-z0-9_./-]).
// - Errors are passed as a Status to error(...), which adds an "error" field.
// - SECRETS NEVER GO INTO LOGS. There is no redaction hook: bearer tokens,
//   keys, minted tokens, Secret data and request/response bodies must simply
//   never be passed as a message or a field value.
//
// Levels, from least to most verbose: error (-2), warn (-1), info = V(0),
// V(1)..V(10). debug() is V(4) and trace() is V(5), as in the Kubernetes
// guidelines. A line is written when its level is <= the configured verbosity.
// error() lines are written at every verbosity.
//
// Formats (one record per line, on stderr unless configured otherwise):
// - json: {"ts":"2026-01-02T03:04:05.123456Z","level":"info","msg":"Created Secret",
//          "logger":"manager","caller":"file.cc:42","Secret":"ns/name","revision":3}
//   "level" is error|warn|info|debug; V(n>0) lines also carry "v":n. "logger"
//   is omitted for the root logger. A field named like one of these keys is
//   written with a leading "_" ("_msg"). Strings are escaped by nlohmann-json;
//   invalid UTF-8 is replaced by U+FFFD.
// - text (klog's header, UTC):
//     I0102 03:04:05.123456   12345 file.cc:42] "Created Secret" logger="manager" Secret="ns/name"
//     revision=3
//   The first letter is E, W or I; the number is the thread id. Strings are
//   quoted and escaped like JSON strings, so a record never spans two lines.
//
// Thread-safety: every function here is thread-safe; lines are written whole.
// Timestamps come from the system clock (logs are for humans, not for logic).
#pragma once

#include <chrono>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "controller/source_location.h"
#include "controller/status.h"

namespace ctrl::log {

// Verbosity values of the named levels (see the file comment).
inline constexpr int kErrorLevel = -2;
inline constexpr int kWarnLevel = -1;
inline constexpr int kInfoLevel = 0;
inline constexpr int kDebugLevel = 4;
inline constexpr int kTraceLevel = 5;
inline constexpr int kMaxLevel = 10;

// A field value: null, bool, integer, floating point or string.
class Value {
 public:
  using Variant =
      std::variant<std::nullptr_t, bool, std::int64_t, std::uint64_t, double, std::string>;

  Value(std::nullptr_t) : v_(nullptr) {}                 // NOLINT: implicit by design
  Value(bool b) : v_(b) {}                               // NOLINT
  Value(const char* s) : v_(std::string(s ? s : "")) {}  // NOLINT
  Value(std::string_view s) : v_(std::string(s)) {}      // NOLINT
  Value(std::string s) : v_(std::move(s)) {}             // NOLINT
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Value(T n) {  // NOLINT
    if constexpr (std::is_signed_v<T>) {
      v_ = static_cast<std::int64_t>(n);
    } else {
      v_ = static_cast<std::uint64_t>(n);
    }
  }
  template <std::floating_point T>
  Value(T d) : v_(static_cast<double>(d)) {}  // NOLINT
  // Durations are written as seconds with a unit: "30s", "0.25s".
  template <typename Rep, typename Period>
  Value(std::chrono::duration<Rep, Period> d)  // NOLINT
      : v_(durationString(std::chrono::duration_cast<std::chrono::nanoseconds>(d))) {}

  const Variant& get() const { return v_; }

 private:
  static std::string durationString(std::chrono::nanoseconds d);
  Variant v_;
};

// One key/value pair: {"Secret", "ns/name"}.
struct Field {
  std::string key;
  Value value;
};

using Fields = std::initializer_list<Field>;

enum class Format { kText, kJson };

// Parses "json" or "text". Errors: InvalidArgument.
StatusOr<Format> parseFormat(std::string_view format);

// Parses a --log-level value: error | warn | info | debug | trace, or a
// number 0..10 (klog's -v). Returns the verbosity (see the k*Level
// constants). Errors: InvalidArgument.
StatusOr<int> parseLevel(std::string_view level);

// Parses both and configures the process-wide output on stderr.
// Errors: InvalidArgument (nothing is changed then).
Status setupLogging(std::string_view format, std::string_view level);

// Configures the process-wide output: format, verbosity threshold, and the
// stream to write to (nullptr: stderr; tests pass a string stream). `out`
// must outlive its use: until the next configure() and any write already in
// progress on another thread. Before any call: text, info, stderr.
void configure(Format format, int verbosity, std::ostream* out = nullptr);

// The configured verbosity threshold.
int verbosity();

// A named logger carrying fields that are added to every line. A small value
// type: cheap enough to copy, safe to share between threads.
class Logger {
 public:
  Logger() = default;  // the root logger: no name, no fields, V(0)

  // A child logger: "manager" then named("leader") gives "manager.leader".
  Logger named(std::string_view name) const;
  // A child logger adding `fields` to every line (after the name, before
  // the call's own fields).
  Logger withValues(Fields fields) const;
  Logger withValues(const std::vector<Field>& fields) const;
  // A child logger whose info() lines are `level` more verbose (logr's V()).
  Logger v(int level) const;
  // Whether info() of this logger would write a line.
  bool enabled() const;

  void info(std::string_view msg, Fields fields = {},
            SourceLocation loc = SourceLocation::current()) const;
  // V(verbosity + kDebugLevel) / V(verbosity + kTraceLevel).
  void debug(std::string_view msg, Fields fields = {},
             SourceLocation loc = SourceLocation::current()) const;
  void trace(std::string_view msg, Fields fields = {},
             SourceLocation loc = SourceLocation::current()) const;
  void warn(std::string_view msg, Fields fields = {},
            SourceLocation loc = SourceLocation::current()) const;
  void error(std::string_view msg, Fields fields = {},
             SourceLocation loc = SourceLocation::current()) const;
  // Adds an "error" field holding err.toString().
  void error(const Status& err, std::string_view msg, Fields fields = {},
             SourceLocation loc = SourceLocation::current()) const;

  const std::string& name() const { return name_; }

 private:
  void emit(int level, const Status* err, std::string_view msg, Fields fields,
            const SourceLocation& loc) const;

  std::string name_;
  std::vector<Field> values_;
  int v_ = 0;
};

// The root logger's shorthands.
inline Logger named(std::string_view name) { return Logger().named(name); }
inline Logger v(int level) { return Logger().v(level); }
inline bool enabled(int level) { return level <= verbosity(); }

inline void info(std::string_view msg, Fields fields = {},
                 SourceLocation loc = SourceLocation::current()) {
  Logger().info(msg, fields, loc);
}
inline void debug(std::string_view msg, Fields fields = {},
                  SourceLocation loc = SourceLocation::current()) {
  Logger().debug(msg, fields, loc);
}
inline void trace(std::string_view msg, Fields fields = {},
                  SourceLocation loc = SourceLocation::current()) {
  Logger().trace(msg, fields, loc);
}
inline void warn(std::string_view msg, Fields fields = {},
                 SourceLocation loc = SourceLocation::current()) {
  Logger().warn(msg, fields, loc);
}
inline void error(std::string_view msg, Fields fields = {},
                  SourceLocation loc = SourceLocation::current()) {
  Logger().error(msg, fields, loc);
}
inline void error(const Status& err, std::string_view msg, Fields fields = {},
                  SourceLocation loc = SourceLocation::current()) {
  Logger().error(err, msg, fields, loc);
}

}  // namespace ctrl::log
