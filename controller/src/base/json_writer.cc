#include "controller/json_writer.h"

#include <rapidjson/writer.h>

#include <utility>

namespace ctrl {
namespace {

// RapidJSON's output stream concept over a std::string, so the text is
// written once, where it is kept.
class StringSink {
 public:
  using Ch = char;
  explicit StringSink(std::string& out) : out_(out) {}
  void Put(char c) { out_.push_back(c); }
  void Flush() {}

 private:
  std::string& out_;
};

// Strings are checked as UTF-8 as they are written: the API server refuses
// a body that is not, and nlohmann's dump() throws on one.
using RapidWriter =
    rapidjson::Writer<StringSink, rapidjson::UTF8<>, rapidjson::UTF8<>, rapidjson::CrtAllocator,
                      rapidjson::kWriteValidateEncodingFlag>;

}  // namespace

struct JsonWriter::Impl {
  Impl() : sink(text), writer(sink) { text.reserve(1024); }
  std::string text;
  StringSink sink;
  RapidWriter writer;
  bool ok = true;
  void check(bool written) { ok = ok && written; }
};

JsonWriter::JsonWriter() : impl_(std::make_unique<Impl>()) {}
JsonWriter::~JsonWriter() = default;

JsonWriter& JsonWriter::beginObject() {
  impl_->check(impl_->writer.StartObject());
  return *this;
}
JsonWriter& JsonWriter::endObject() {
  impl_->check(impl_->writer.EndObject());
  return *this;
}
JsonWriter& JsonWriter::beginArray() {
  impl_->check(impl_->writer.StartArray());
  return *this;
}
JsonWriter& JsonWriter::endArray() {
  impl_->check(impl_->writer.EndArray());
  return *this;
}
JsonWriter& JsonWriter::key(std::string_view name) {
  impl_->check(impl_->writer.Key(name.data(), static_cast<rapidjson::SizeType>(name.size())));
  return *this;
}
JsonWriter& JsonWriter::string(std::string_view value) {
  impl_->check(impl_->writer.String(value.data(), static_cast<rapidjson::SizeType>(value.size())));
  return *this;
}
JsonWriter& JsonWriter::integer(int64_t value) {
  impl_->check(impl_->writer.Int64(value));
  return *this;
}
JsonWriter& JsonWriter::boolean(bool value) {
  impl_->check(impl_->writer.Bool(value));
  return *this;
}
JsonWriter& JsonWriter::null() {
  impl_->check(impl_->writer.Null());
  return *this;
}

StatusOr<JsonText> JsonWriter::take() && {
  if (!impl_->ok || !impl_->writer.IsComplete()) {
    return Status(Code::kInvalidArgument,
                  impl_->ok ? "JSON writer: the document is not complete"
                            : "JSON writer: a string is not valid UTF-8 or out of place");
  }
  return JsonText{std::move(impl_->text)};
}

}  // namespace ctrl
