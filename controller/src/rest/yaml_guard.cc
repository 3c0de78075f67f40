#include "rest/yaml_guard.h"

#include <algorithm>
#include <string>
#include <vector>

namespace ctrl::rest {
namespace {

Status tooDeep(size_t line, size_t maxDepth) {
  return errorStatus(Code::kInvalidArgument, "YAML nesting deeper than " +
                                                 std::to_string(maxDepth) + " levels at line " +
                                                 std::to_string(line));
}

}  // namespace

Status checkYamlText(std::string_view text, size_t maxDepth) {
  if (text.find('\0') != std::string_view::npos) {
    return errorStatus(Code::kInvalidArgument, "not a text file (contains a NUL byte)");
  }
  // Flow depth: brackets are counted everywhere (in quotes and comments too,
  // which only over-counts); a closing bracket never takes the count below
  // zero, so stray closers cannot hide openers.
  size_t flow = 0;
  // Block depth: the indentation of every open block node, as a stack.
  std::vector<size_t> indents;
  size_t lineNo = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    ++lineNo;
    pos = end + 1;

    for (char c : line) {
      if (c == '[' || c == '{') {
        if (++flow > maxDepth) return tooDeep(lineNo, maxDepth);
      } else if ((c == ']' || c == '}') && flow > 0) {
        --flow;
      }
    }

    size_t indent = line.find_first_not_of(' ');
    if (indent == std::string_view::npos || line[indent] == '#' || line[indent] == '\r') continue;
    while (!indents.empty() && indents.back() >= indent) indents.pop_back();
    indents.push_back(indent);
    // Each leading "- " (or "? ") on the line opens one more level.
    size_t i = indent;
    while (i < line.size() && (line[i] == '-' || line[i] == '?') &&
           (i + 1 == line.size() || line[i + 1] == ' ')) {
      indents.push_back(i + 1);
      i = line.find_first_not_of(' ', i + 1);
      if (i == std::string_view::npos) break;
    }
    if (indents.size() > maxDepth) return tooDeep(lineNo, maxDepth);
  }
  return Status::ok();
}

}  // namespace ctrl::rest
