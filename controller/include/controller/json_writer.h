// Writing a JSON document straight into text, with no tree in between: for
// the bodies the operator sends on every mint (a status patch, an Event),
// where building an nlohmann tree, serializing it and freeing it cost more
// than the exchange's own HTTP work. RapidJSON's Writer does the escaping.
//
// Calls must form one well-nested document (keys only inside objects, one
// value after each key); take() says whether they did. Not thread-safe.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "controller/status.h"

namespace ctrl {

// A JSON document, already serialized (JsonWriter::take()); the client sends
// it as is (Writer::createText(), Writer::patchText()).
struct JsonText {
  std::string text;
};

class JsonWriter {
 public:
  JsonWriter();
  ~JsonWriter();
  JsonWriter(const JsonWriter&) = delete;
  JsonWriter& operator=(const JsonWriter&) = delete;

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
  // valid UTF-8 (the message names no value) or the calls did not form one
  // complete document. The writer is spent either way.
  StatusOr<JsonText> take() &&;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ctrl
