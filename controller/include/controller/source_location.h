// ctrl::SourceLocation: std::source_location where the standard library
// provides it, else an equivalent built on the same compiler builtins. The
// fallback exists for the fuzz build (clang 14 with libstdc++ 12, whose
// std::source_location needs __builtin_source_location, new in clang 15).
#pragma once

#include <cstdint>
#include <source_location>  // defines __cpp_lib_source_location when usable

namespace ctrl {

#if defined(__cpp_lib_source_location)

using SourceLocation = std::source_location;

#else

class SourceLocation {
 public:
  // The location of the caller, when used as a default argument.
  static constexpr SourceLocation current(
      const char* file = __builtin_FILE(), const char* function = __builtin_FUNCTION(),
      std::uint_least32_t line = __builtin_LINE(),
      std::uint_least32_t column = __builtin_COLUMN()) noexcept {
    SourceLocation loc;
    loc.file_ = file;
    loc.function_ = function;
    loc.line_ = line;
    loc.column_ = column;
    return loc;
  }

  constexpr SourceLocation() noexcept = default;

  // The names of std::source_location, so either type fits the callers.
  constexpr const char* file_name() const noexcept { return file_; }
  constexpr const char* function_name() const noexcept { return function_; }
  constexpr std::uint_least32_t line() const noexcept { return line_; }
  constexpr std::uint_least32_t column() const noexcept { return column_; }

 private:
  const char* file_ = "";
  const char* function_ = "";
  std::uint_least32_t line_ = 0;
  std::uint_least32_t column_ = 0;
};

#endif

}  // namespace ctrl
