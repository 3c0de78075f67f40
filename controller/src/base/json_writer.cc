#include "controller/json_writer.h"

#include <simdjson.h>

#include <charconv>
#include <utility>

namespace ctrl {

bool JsonWriter::beginValue() {
  if (levels_.empty()) {
    if (complete_) fail("JSON writer: a second root value");
    return !complete_;
  }
  Level& level = levels_.back();
  if (level.object) {
    if (!level.afterKey) {
      fail("JSON writer: a value in an object without its key");
      return false;
    }
    level.afterKey = false;
    return true;
  }
  if (!level.empty) text_ += ',';
  level.empty = false;
  return true;
}

void JsonWriter::escaped(std::string_view text) {
  if (!simdjson::validate_utf8(text.data(), text.size())) {
    fail("JSON writer: a string is not valid UTF-8");
    return;
  }
  static constexpr char kHex[] = "0123456789abcdef";
  text_ += '"';
  size_t plain = 0;  // start of the run not yet copied
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    text_.append(text.data() + plain, i - plain);
    plain = i + 1;
    switch (c) {
      case '"':
        text_ += "\\\"";
        break;
      case '\\':
        text_ += "\\\\";
        break;
      case '\b':
        text_ += "\\b";
        break;
      case '\f':
        text_ += "\\f";
        break;
      case '\n':
        text_ += "\\n";
        break;
      case '\r':
        text_ += "\\r";
        break;
      case '\t':
        text_ += "\\t";
        break;
      default:
        text_ += "\\u00";
        text_ += kHex[c >> 4];
        text_ += kHex[c & 0xF];
    }
  }
  text_.append(text.data() + plain, text.size() - plain);
  text_ += '"';
}

JsonWriter& JsonWriter::beginObject() {
  if (beginValue()) {
    text_ += '{';
    levels_.push_back({.object = true});
  }
  return *this;
}

JsonWriter& JsonWriter::endObject() {
  if (levels_.empty() || !levels_.back().object || levels_.back().afterKey) {
    fail("JSON writer: an object ended out of place");
    return *this;
  }
  text_ += '}';
  levels_.pop_back();
  complete_ = levels_.empty();
  return *this;
}

JsonWriter& JsonWriter::beginArray() {
  if (beginValue()) {
    text_ += '[';
    levels_.push_back({.object = false});
  }
  return *this;
}

JsonWriter& JsonWriter::endArray() {
  if (levels_.empty() || levels_.back().object) {
    fail("JSON writer: an array ended out of place");
    return *this;
  }
  text_ += ']';
  levels_.pop_back();
  complete_ = levels_.empty();
  return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
  if (levels_.empty() || !levels_.back().object || levels_.back().afterKey) {
    fail("JSON writer: a key outside an object or after another key");
    return *this;
  }
  Level& level = levels_.back();
  if (!level.empty) text_ += ',';
  level.empty = false;
  escaped(name);
  text_ += ':';
  level.afterKey = true;
  return *this;
}

JsonWriter& JsonWriter::string(std::string_view value) {
  if (beginValue()) {
    escaped(value);
    complete_ = levels_.empty();
  }
  return *this;
}

JsonWriter& JsonWriter::integer(int64_t value) {
  if (beginValue()) {
    char digits[24];
    const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
    text_.append(digits, end);
    complete_ = levels_.empty();
  }
  return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
  if (beginValue()) {
    text_ += value ? "true" : "false";
    complete_ = levels_.empty();
  }
  return *this;
}

JsonWriter& JsonWriter::null() {
  if (beginValue()) {
    text_ += "null";
    complete_ = levels_.empty();
  }
  return *this;
}

StatusOr<JsonText> JsonWriter::take() && {
  if (error_ != nullptr) return Status(Code::kInvalidArgument, error_);
  if (!complete_)
    return Status(Code::kInvalidArgument, "JSON writer: the document is not complete");
  return JsonText{std::move(text_)};
}

}  // namespace ctrl
