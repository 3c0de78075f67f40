#include "controller/json.h"

#include <string>

namespace ctrl {
namespace {

// Returns the byte offset at which `text` first nests deeper than `maxDepth`
// arrays/objects (counting only brackets outside strings), or npos. Linear and
// allocation-free, so a hostile document is rejected before the parser builds
// anything from it.
size_t findTooDeep(std::string_view text, int maxDepth) {
  int depth = 0;
  bool inString = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (inString) {
      if (c == '\\') {
        ++i;  // the escaped character cannot end the string
      } else if (c == '"') {
        inString = false;
      }
      continue;
    }
    switch (c) {
      case '"':
        inString = true;
        break;
      case '[':
      case '{':
        if (++depth > maxDepth) return i;
        break;
      case ']':
      case '}':
        --depth;
        break;
      default:
        break;
    }
  }
  return std::string_view::npos;
}

}  // namespace

Status checkJsonLimits(std::string_view text, const JsonLimits& limits) {
  if (text.size() > limits.maxBytes) {
    return Status(Code::kInvalidArgument, "JSON document of " + std::to_string(text.size()) +
                                              " bytes exceeds the limit of " +
                                              std::to_string(limits.maxBytes) + " bytes");
  }
  if (size_t at = findTooDeep(text, limits.maxDepth); at != std::string_view::npos) {
    return Status(Code::kInvalidArgument, "JSON nested deeper than " +
                                              std::to_string(limits.maxDepth) +
                                              " levels at byte offset " + std::to_string(at));
  }
  return Status::ok();
}

namespace {

StatusOr<Json> parseChecked(std::string_view text) {
  try {
    return Json::parse(text.begin(), text.end());
  } catch (const Json::parse_error& e) {
    // e.what() quotes the input near the error: report only the offset.
    return Status(Code::kInvalidArgument, "invalid JSON at byte offset " + std::to_string(e.byte));
  } catch (const Json::exception&) {
    return Status(Code::kInvalidArgument, "invalid JSON");
  }
}

}  // namespace

StatusOr<Json> parseJson(std::string_view text, const JsonLimits& limits) {
  if (Status s = checkJsonLimits(text, limits); !s.isOk()) return s;
  return parseChecked(text);
}

}  // namespace ctrl
