// detail::parseApiJsonReference: nlohmann's own parser (so validation is
// exactly parseJson's) driving a tree builder that skips
// metadata.managedFields and, when asked, every member of the root object
// but apiVersion, kind and metadata (detail::leavesOut). Every
// object the API server sends carries managedFields: server-side apply's
// bookkeeping, about 45% of a ServiceToken's bytes and 30% of a token
// Secret's, and most of their JSON nodes, which this process never reads.
// Skipped values are lexed and checked but never allocated.
#include <string>
#include <utility>
#include <vector>

#include "base/api_json_cut.h"
#include "controller/json.h"

namespace ctrl {
namespace {

// The SAX interface nlohmann's parser calls (static dispatch: a template
// parameter, no virtual calls).
class ApiTreeBuilder {
 public:
  using number_integer_t = Json::number_integer_t;
  using number_unsigned_t = Json::number_unsigned_t;
  using number_float_t = Json::number_float_t;
  using string_t = Json::string_t;
  using binary_t = Json::binary_t;

  explicit ApiTreeBuilder(const ApiJsonOptions& options) : options_(options) {}

  bool null() { return value(nullptr); }
  bool boolean(bool v) { return value(v); }
  bool number_integer(number_integer_t v) { return value(v); }
  bool number_unsigned(number_unsigned_t v) { return value(v); }
  bool number_float(number_float_t v, const string_t& /*text*/) { return value(v); }
  bool string(string_t& v) { return value(std::move(v)); }
  bool binary(binary_t& v) { return value(Json::binary(std::move(v))); }

  bool start_object(std::size_t /*size*/) { return open(Json::value_t::object); }
  bool start_array(std::size_t /*size*/) { return open(Json::value_t::array); }
  bool end_object() { return close(); }
  bool end_array() { return close(); }

  bool key(string_t& k) {
    if (skipping_ > 0) return true;
    skipNext_ = skips(k);
    if (!skipNext_) pendingKey_ = std::move(k);
    return true;
  }

  bool parse_error(std::size_t position, const std::string& /*lastToken*/,
                   const nlohmann::detail::exception& ex) {
    // The message of nlohmann's exception quotes the input: keep only where.
    error_ = dynamic_cast<const Json::parse_error*>(&ex) != nullptr
                 ? Status(Code::kInvalidArgument,
                          "invalid JSON at byte offset " + std::to_string(position))
                 : Status(Code::kInvalidArgument, "invalid JSON");
    return false;
  }

  Json& root() { return root_; }
  const Status& error() const { return error_; }

 private:
  struct Frame {
    Json* node;
    bool metadata;  // an object that is the value of a "metadata" key
  };

  // Whether the value of member `k` of the innermost open object is left out.
  bool skips(const string_t& k) const {
    // One open container, and key() is called: the root, an object.
    return detail::leavesOut(options_, k, stack_.size() == 1, stack_.back().metadata);
  }

  // Where the next value goes; null while skipping.
  Json* place(Json&& v, bool& isMetadata) {
    isMetadata = false;
    if (stack_.empty()) {
      root_ = std::move(v);
      return &root_;
    }
    Json& parent = *stack_.back().node;
    if (parent.is_array()) {
      parent.get_ref<Json::array_t&>().push_back(std::move(v));
      return &parent.get_ref<Json::array_t&>().back();
    }
    isMetadata = pendingKey_ == detail::kMetadataKey;
    Json& slot = parent.get_ref<Json::object_t&>()[std::move(pendingKey_)];
    pendingKey_.clear();
    slot = std::move(v);
    return &slot;
  }

  template <typename V>
  bool value(V&& v) {
    if (skipping_ > 0) return true;
    if (skipNext_) {
      skipNext_ = false;
      return true;
    }
    bool unused = false;
    place(Json(std::forward<V>(v)), unused);
    return true;
  }

  bool open(Json::value_t type) {
    if (skipping_ > 0 || skipNext_) {
      skipNext_ = false;
      ++skipping_;
      return true;
    }
    bool isMetadata = false;
    Json* node = place(Json(type), isMetadata);
    stack_.push_back({node, isMetadata && type == Json::value_t::object});
    return true;
  }

  bool close() {
    if (skipping_ > 0) {
      --skipping_;
      return true;
    }
    stack_.pop_back();
    return true;
  }

  const ApiJsonOptions options_;
  Json root_;
  std::vector<Frame> stack_;
  string_t pendingKey_;
  bool skipNext_ = false;  // the value after a skipped key
  int skipping_ = 0;       // depth inside a skipped container
  Status error_;
};

}  // namespace

namespace detail {

StatusOr<Json> parseApiJsonReference(std::string_view text, const JsonLimits& limits,
                                     const ApiJsonOptions& options) {
  if (Status s = checkJsonLimits(text, limits); !s.isOk()) return s;
  ApiTreeBuilder builder(options);
  if (!Json::sax_parse(text.begin(), text.end(), &builder)) {
    if (!builder.error().isOk()) return builder.error();
    return Status(Code::kInvalidArgument, "invalid JSON");
  }
  return std::move(builder.root());
}

}  // namespace detail
}  // namespace ctrl
