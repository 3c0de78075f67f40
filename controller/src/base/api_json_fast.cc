// parseApiJson: simdjson validates the whole document and builds its tape
// (about a tenth of nlohmann's time on our objects), and the tree is built
// from the tape, less what the options leave out. Profiles put JSON parsing
// at a sixth of the operator's CPU: every watch event, list page and write
// answer goes through here.
//
// The fast path takes a document only when it can build exactly what
// detail::parseApiJsonReference (nlohmann's parser) builds. Anything else
// goes to the reference, which then accepts or refuses it with its own
// message:
// - every document simdjson refuses (so every error message is nlohmann's);
// - numbers simdjson cannot hold (beyond 64 bits; nlohmann makes them
//   floating point);
// - documents nested deeper than limits.maxDepth, skipped members included
//   (simdjson refuses them, and some exactly at it; the reference decides
//   and names where);
// - a limits.maxDepth above kMostDepth.
// Like nlohmann, simdjson refuses raw control characters in strings and
// unpaired surrogate escapes, and unescapes the rest to the same bytes.
// The fuzz target json_fuzzer holds the two to the same answers.
#include <simdjson.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/api_json_cut.h"
#include "controller/json.h"

namespace ctrl {
namespace {

// Documents up to this size reuse a parser from a pool (its buffers grow to
// the largest it has seen, so this bounds what each one keeps); a larger
// one (a list page) gets a parser of its own, freed with it.
constexpr size_t kReusedParserBytes = 16 << 10;

// The deepest limit the fast path takes (simdjson allocates per level).
constexpr int kMostDepth = 1024;

using simdjson::dom::element;
using simdjson::dom::element_type;

class TreeBuilder {
 public:
  explicit TreeBuilder(const ApiJsonOptions& options) : options_(options) {}

  // Builds `e` into `out`; false when the reference must decide instead.
  // `depth`: the containers open around `e` (the parser's max_depth bounds
  // it, and so this recursion). `metadata`: `e` is the value of a
  // "metadata" member of an object.
  bool build(element e, Json& out, int depth, bool metadata) const {
    switch (e.type()) {
      case element_type::OBJECT: {
        out = Json::object();
        auto& members = out.get_ref<Json::object_t&>();
        simdjson::dom::object object;
        if (e.get_object().get(object) != simdjson::SUCCESS) return false;
        for (const auto field : object) {
          if (skips(field.key, depth, metadata)) continue;
          // A repeated key: the last value wins, as in the reference.
          Json& slot = members[std::string(field.key)];
          if (!build(field.value, slot, depth + 1,
                     field.key == detail::kMetadataKey && field.value.is_object())) {
            return false;
          }
        }
        return true;
      }
      case element_type::ARRAY: {
        out = Json::array();
        auto& items = out.get_ref<Json::array_t&>();
        simdjson::dom::array array;
        if (e.get_array().get(array) != simdjson::SUCCESS) return false;
        for (const element item : array) {
          if (!build(item, items.emplace_back(), depth + 1, false)) return false;
        }
        return true;
      }
      case element_type::STRING: {
        std::string_view s;
        if (e.get_string().get(s) != simdjson::SUCCESS) return false;
        out = std::string(s);
        return true;
      }
      case element_type::INT64: {
        // nlohmann keeps a number without a minus sign unsigned.
        int64_t v = 0;
        if (e.get_int64().get(v) != simdjson::SUCCESS) return false;
        if (v >= 0) {
          out = static_cast<uint64_t>(v);
        } else {
          out = v;
        }
        return true;
      }
      case element_type::UINT64: {
        uint64_t v = 0;
        if (e.get_uint64().get(v) != simdjson::SUCCESS) return false;
        out = v;
        return true;
      }
      case element_type::DOUBLE: {
        double v = 0;
        if (e.get_double().get(v) != simdjson::SUCCESS) return false;
        out = v;
        return true;
      }
      case element_type::BOOL: {
        bool v = false;
        if (e.get_bool().get(v) != simdjson::SUCCESS) return false;
        out = v;
        return true;
      }
      case element_type::NULL_VALUE:
        out = nullptr;
        return true;
    }
    return false;
  }

 private:
  // Whether member `key` of an object at `depth` (0: the root) is left out.
  bool skips(std::string_view key, int depth, bool metadata) const {
    return detail::leavesOut(options_, key, depth == 0, metadata);
  }

  const ApiJsonOptions& options_;
};

// Parses `text` with `parser` and builds the tree; nullopt: ask the reference.
std::optional<Json> fastParse(simdjson::dom::parser& parser, std::string_view text,
                              const JsonLimits& limits, const ApiJsonOptions& options) {
  // simdjson's max_depth D refuses a non-empty container at depth D (the
  // root is at 1) but takes an empty one there ({} and [] do not open a
  // level): with D = limits.maxDepth nothing deeper than the limit passes,
  // and a document whose deepest non-empty container is exactly at it goes
  // to the reference.
  const auto maxDepth = static_cast<size_t>(limits.maxDepth);
  if (parser.max_depth() != maxDepth &&
      parser.allocate(std::max(parser.capacity(), text.size()), maxDepth) != simdjson::SUCCESS) {
    return std::nullopt;
  }
  element root;
  if (parser.parse(text.data(), text.size(), /*realloc_if_needed=*/true).get(root) !=
      simdjson::SUCCESS) {
    return std::nullopt;
  }
  Json out;
  if (!TreeBuilder(options).build(root, out, 0, false)) return std::nullopt;
  return out;
}

// The parsers for small documents, shared by every thread: as many as have
// parsed at the same time, each kept for the next. (A parser per thread
// would keep one for every thread that ever parsed: the operator has
// dozens, each parser some tens of KiB.)
class ParserPool {
 public:
  // A parser to use and give back with give().
  std::unique_ptr<simdjson::dom::parser> take() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        auto parser = std::move(idle_.back());
        idle_.pop_back();
        return parser;
      }
    }
    return std::make_unique<simdjson::dom::parser>(kReusedParserBytes);
  }
  void give(std::unique_ptr<simdjson::dom::parser> parser) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(parser));
  }

 private:
  std::mutex mu_;
  std::vector<std::unique_ptr<simdjson::dom::parser>> idle_;
};

// Never destroyed: a thread may still parse while the process exits.
ParserPool& parserPool() {
  static auto* pool = new ParserPool();
  return *pool;
}

std::atomic<uint64_t> fallbacks{0};

StatusOr<Json> fallBack(std::string_view text, const JsonLimits& limits,
                        const ApiJsonOptions& options) {
  fallbacks.fetch_add(1, std::memory_order_relaxed);
  return detail::parseApiJsonReference(text, limits, options);
}

}  // namespace

uint64_t detail::apiJsonFallbacks() { return fallbacks.load(std::memory_order_relaxed); }

StatusOr<Json> parseApiJson(std::string_view text, const JsonLimits& limits,
                            const ApiJsonOptions& options) {
  if (text.size() > limits.maxBytes || limits.maxDepth < 0 || limits.maxDepth > kMostDepth) {
    return fallBack(text, limits, options);
  }
  std::optional<Json> fast;
  if (text.size() <= kReusedParserBytes) {
    auto reused = parserPool().take();
    fast = fastParse(*reused, text, limits, options);
    parserPool().give(std::move(reused));
  } else {
    simdjson::dom::parser own(text.size());
    fast = fastParse(own, text, limits, options);
  }
  if (fast) return std::move(*fast);
  return fallBack(text, limits, options);
}

}  // namespace ctrl
