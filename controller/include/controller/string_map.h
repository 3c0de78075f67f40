// StringMap: the compact string → string map that cached objects use for
// their labels and annotations. All entries live in one buffer (one heap
// allocation per map, none when empty), sorted by key, so a Secret's fifteen
// annotations cost their bytes plus eight per entry instead of fifteen tree
// nodes and up to thirty strings.
//
// It behaves like a const std::map<std::string, std::string>: iteration in
// key order yields (key, value) pairs of string_views, find() and contains()
// look a key up, and two maps are equal when they hold the same entries.
// Mutation (set, emplace, erase) rebuilds the buffer: it is meant for maps
// decoded once and read many times, with a few dozen entries at most.
//
// The string_views a map hands out stay valid until the map is mutated,
// moved from or destroyed. Not thread-safe for concurrent mutation; const
// methods may be called concurrently (cached objects are immutable).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ctrl {

class StringMap {
 public:
  using value_type = std::pair<std::string_view, std::string_view>;

  // A forward iterator over the entries in key order.
  class const_iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = StringMap::value_type;
    using difference_type = std::ptrdiff_t;
    using pointer = const value_type*;
    using reference = value_type;

    const_iterator() = default;
    value_type operator*() const { return entry_; }
    const value_type* operator->() const { return &entry_; }
    const_iterator& operator++() {
      at_ = next_;
      load();
      return *this;
    }
    const_iterator operator++(int) {
      const_iterator before = *this;
      ++*this;
      return before;
    }
    bool operator==(const const_iterator& other) const { return at_ == other.at_; }

   private:
    friend class StringMap;
    const_iterator(const char* at, const char* end) : at_(at), end_(end) { load(); }
    void load();

    const char* at_ = nullptr;
    const char* end_ = nullptr;
    const char* next_ = nullptr;
    value_type entry_;
  };
  using iterator = const_iterator;

  StringMap() = default;
  // Later duplicates of a key are ignored, as std::map's constructor does.
  StringMap(std::initializer_list<value_type> entries);
  // From a std::map (the helpers and tests that build one).
  explicit StringMap(const std::map<std::string, std::string>& entries);
  // From entries in any order; of equal keys the first is kept. One
  // allocation of exactly the size needed.
  static StringMap fromEntries(std::vector<value_type> entries);

  const_iterator begin() const { return {buffer_.data(), buffer_.data() + buffer_.size()}; }
  const_iterator end() const {
    const char* e = buffer_.data() + buffer_.size();
    return {e, e};
  }
  size_t size() const;
  bool empty() const { return buffer_.empty(); }

  // The entry with `key`, or end().
  const_iterator find(std::string_view key) const;
  bool contains(std::string_view key) const { return find(key) != end(); }
  size_t count(std::string_view key) const { return contains(key) ? 1 : 0; }
  // The value of `key`, or `fallback` when absent.
  std::string_view get(std::string_view key, std::string_view fallback = {}) const;

  // Inserts or replaces `key`.
  void set(std::string_view key, std::string_view value);
  // Inserts `key` unless present (std::map::emplace); true when inserted.
  bool emplace(std::string_view key, std::string_view value);
  // Removes `key`; returns how many entries were removed (0 or 1).
  size_t erase(std::string_view key);
  void clear() { buffer_.clear(); }

  std::map<std::string, std::string> toMap() const;

  // The bytes the entries take (for tests and sizing).
  size_t byteSize() const { return buffer_.size(); }

  // Entries are kept sorted and unique, so equal maps have equal buffers.
  bool operator==(const StringMap& other) const = default;

 private:
  // Appends one entry (length-prefixed key and value) to `out`.
  static void append(std::string& out, std::string_view key, std::string_view value);

  // Entries in key order, each: key length (u32), value length (u32), key
  // bytes, value bytes. Lengths make any byte (NUL included) a valid key or
  // value.
  std::string buffer_;
};

}  // namespace ctrl
