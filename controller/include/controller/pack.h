// A compact byte form for cached objects. A typed struct spends 32 bytes on
// every std::string member, empty or not, and an allocation on each longer
// than 15 characters; a ServiceToken with its Secret cost about 4 KB that
// way. Packed, an object is one allocation holding its actual bytes: lengths
// as varints, and the strings the operator writes on every object (label and
// annotation keys, condition types, reasons) as one-byte references into a
// dictionary fixed in code.
//
// The format is private to one process: it is never written anywhere, so it
// has no version and may change with any build. Readers still check every
// length against the bytes they were given (a bug reads as an error, never
// past the end).
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "controller/clock.h"
#include "controller/object_meta.h"
#include "controller/string_map.h"

namespace ctrl {

// Strings common enough to be worth a reference. At most 127 entries, so
// each reference is one byte. Immutable once built; share one per type.
class PackDictionary {
 public:
  explicit PackDictionary(std::initializer_list<std::string_view> words);
  // The entry's index, or -1.
  int find(std::string_view word) const;
  size_t size() const { return words_.size(); }
  std::string_view at(size_t index) const { return words_[index]; }

 private:
  std::vector<std::string_view> words_;  // must outlive this (string literals)
  std::unordered_map<std::string_view, int> index_;
};

// Appends fields to a byte string. The reader must read them back in the
// same order with the matching calls.
class PackWriter {
 public:
  PackWriter(std::string& out, const PackDictionary& dictionary)
      : out_(out), dictionary_(dictionary) {}

  void u64(uint64_t v);
  void i64(int64_t v);  // zigzag, so small negatives stay short
  void flag(bool v) { u64(v ? 1 : 0); }
  void str(std::string_view s);
  void time(WallTime t) { i64(t.time_since_epoch().count()); }
  void map(const StringMap& m);
  void meta(const ObjectMeta& m);
  template <typename C, typename F>
  void list(const C& items, F&& each) {
    u64(items.size());
    for (const auto& item : items) each(*this, item);
  }

 private:
  std::string& out_;
  const PackDictionary& dictionary_;
};

// Reads what a PackWriter wrote. Every read returns false (and leaves the
// reader failed) when the bytes run out or do not decode.
class PackReader {
 public:
  PackReader(std::string_view in, const PackDictionary& dictionary)
      : in_(in), dictionary_(dictionary) {}

  bool u64(uint64_t& v);
  bool i64(int64_t& v);
  bool flag(bool& v);
  bool str(std::string& s);
  bool time(WallTime& t);
  bool map(StringMap& m);
  bool meta(ObjectMeta& m);
  template <typename T>
  bool integer(T& v) {
    int64_t wide = 0;
    if (!i64(wide)) return false;
    v = static_cast<T>(wide);
    return static_cast<int64_t>(v) == wide || fail();
  }
  template <typename C, typename F>
  bool list(C& items, F&& each) {
    uint64_t n = 0;
    if (!u64(n) || n > in_.size() - at_) return fail();  // each item takes a byte at least
    items.clear();
    items.reserve(n);
    for (uint64_t i = 0; i < n; ++i) {
      items.emplace_back();
      if (!each(*this, items.back())) return fail();
    }
    return true;
  }
  // True when every byte was read and nothing failed.
  bool done() const { return ok_ && at_ == in_.size(); }

 private:
  bool fail() {
    ok_ = false;
    return false;
  }
  bool view(std::string_view& s);

  std::string_view in_;
  size_t at_ = 0;
  bool ok_ = true;
  const PackDictionary& dictionary_;
};

// How a Store<T> keeps its objects packed: `pack` appends `object` to `out`;
// `unpack` rebuilds it and returns false when the bytes do not decode
// (never for bytes `pack` wrote in this process).
template <typename T>
struct Packing {
  std::function<void(const T& object, std::string& out)> pack;
  std::function<bool(std::string_view bytes, T& object)> unpack;
};

// One packed object: a single allocation (control block, length, bytes).
using PackedPtr = std::shared_ptr<const char[]>;
PackedPtr makePacked(std::string_view bytes);
// The bytes of an object makePacked() made (pass its get()).
std::string_view packedBytes(const char* packed);

// A packed object that fails to unpack is a bug in this process; the cache
// cannot answer for it (an absent object would read as deleted), so this
// logs the type and stops the process. Never returns.
[[noreturn]] void corruptPackedObject(std::string_view type);

}  // namespace ctrl
