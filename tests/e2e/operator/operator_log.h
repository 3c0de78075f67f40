// Reading the operator's log file (--log-format json: one JSON object per
// line, see controller/include/controller/log.h) in e2e tests.
#pragma once

#include <fstream>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

namespace sttest::e2e {

using Json = nlohmann::json;

// The whole file, or "" when it cannot be read.
inline std::string readText(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// One line of the log: its raw text and, when it is a JSON object, the parsed
// record (a line cut short by SIGKILL or a stray non-JSON line stays raw).
struct LogLine {
  std::string raw;
  std::optional<Json> record;
};

inline std::vector<LogLine> readLogLines(const std::string& path) {
  std::vector<LogLine> lines;
  std::istringstream in(readText(path));
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    Json parsed = Json::parse(line, nullptr, /*allow_exceptions=*/false);
    LogLine l{line, std::nullopt};
    if (!parsed.is_discarded() && parsed.is_object()) l.record = std::move(parsed);
    lines.push_back(std::move(l));
  }
  return lines;
}

// The lines whose "msg" is `msg`.
inline std::vector<Json> recordsWithMessage(const std::vector<LogLine>& lines,
                                            const std::string& msg) {
  std::vector<Json> out;
  for (const auto& l : lines) {
    if (l.record && l.record->value("msg", "") == msg) out.push_back(*l.record);
  }
  return out;
}

// Field `key` of a record as a number (written as a number or a string), or
// -1 when absent or not a number.
inline long long intField(const Json& record, const std::string& key) {
  auto it = record.find(key);
  if (it == record.end()) return -1;
  if (it->is_number_integer()) return it->get<long long>();
  if (it->is_string()) {
    try {
      return std::stoll(it->get<std::string>());
    } catch (const std::exception&) {
      return -1;
    }
  }
  return -1;
}

// The lines that speak of an authorization failure: "Forbidden" anywhere, or
// 403 as a number of its own. The timestamp field is left out of the 403
// search (its microseconds may contain the digits), and so is any digit run
// longer than three (ids, hashes).
inline std::vector<std::string> authorizationFailures(const std::vector<LogLine>& lines) {
  static const std::regex k403("(^|[^0-9A-Za-z])403([^0-9A-Za-z]|$)");
  std::vector<std::string> out;
  for (const auto& l : lines) {
    std::string haystack = l.raw;
    if (l.record) {
      Json copy = *l.record;
      copy.erase("ts");
      haystack = copy.dump();
    }
    if (haystack.find("Forbidden") != std::string::npos ||
        haystack.find("forbidden") != std::string::npos || std::regex_search(haystack, k403)) {
      out.push_back(l.raw);
    }
  }
  return out;
}

// The leader-election identity a replica logs with (field "identity" of the
// "leader-election" logger), or "" when it has not logged one yet.
inline std::string leaderIdentity(const std::vector<LogLine>& lines) {
  for (const auto& l : lines) {
    if (l.record && l.record->value("logger", "") == "leader-election") {
      std::string id = l.record->value("identity", "");
      if (!id.empty()) return id;
    }
  }
  return {};
}

}  // namespace sttest::e2e
