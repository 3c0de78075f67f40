// Writing a JSON document straight into text, with no tree in between: for
// the bodies the operator sends on every mint (the Secret, a status patch, an
// Event), where building an nlohmann tree, serializing it and freeing it cost
// more than the exchange's own HTTP work.
//
// Strings are escaped as RFC 8259 requires (quote, backslash and control
// characters; UTF-8 goes out as it is) and checked as UTF-8 by simdjson.
// Calls must form one well-nested document (keys only inside objects, one
// value after each key, one root); a call out of place is remembered, not
// written, and take() reports it. Not thread-safe.
//
// (RapidJSON's Writer, the packaged alternative, does pointer arithmetic on
// a null pointer on its first push, which UBSan reports; simdjson 3.0 has no
// writer.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "controller/status.h"

namespace ctrl {

// A JSON document, already serialized (JsonWriter::take()); the client sends
// it as is (Writer::createText(), Writer::patchText()).
struct JsonText {
  std::string text;
};

class JsonWriter {
 public:
  JsonWriter() { text_.reserve(1024); }

  JsonWriter& beginObject();
  JsonWriter& endObject();
  JsonWriter& beginArray();
  JsonWriter& endArray();
  JsonWriter& key(std::string_view name);
  JsonWriter& string(std::string_view value);
  JsonWriter& integer(int64_t value);
  JsonWriter& boolean(bool value);
  JsonWriter& null();

  // key(name) then string(value) / integer(value).
  JsonWriter& member(std::string_view name, std::string_view value) {
    return key(name).string(value);
  }
  JsonWriter& member(std::string_view name, int64_t value) { return key(name).integer(value); }
  // key(name) then string(value), or null when value is empty: a merge
  // patch's way to remove a field.
  JsonWriter& memberOrNull(std::string_view name, std::string_view value) {
    key(name);
    return value.empty() ? null() : string(value);
  }

  // The document. Errors: InvalidArgument when a string or key was not
  // valid UTF-8 (the message names no value), a call was out of place, or
  // the document is not complete. The writer is spent either way.
  StatusOr<JsonText> take() &&;

 private:
  struct Level {
    bool object;
    bool empty = true;
    bool afterKey = false;  // objects: a key was written, its value is next
  };

  // Whether a value may start here; writes the comma before it.
  bool beginValue();
  void escaped(std::string_view text);
  void fail(const char* why) {
    if (error_ == nullptr) error_ = why;
  }

  std::string text_;
  std::vector<Level> levels_;
  bool complete_ = false;        // the root value has been written
  const char* error_ = nullptr;  // the first misuse, or bad UTF-8
};

}  // namespace ctrl
