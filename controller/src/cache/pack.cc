#include "controller/pack.h"

#include <cstdlib>
#include <cstring>
#include <limits>

#include "controller/log.h"

namespace ctrl {

PackDictionary::PackDictionary(std::initializer_list<std::string_view> words) : words_(words) {
  if (words_.size() > 127) std::abort();  // a reference must fit one byte's varint
  for (size_t i = 0; i < words_.size(); ++i) index_.emplace(words_[i], static_cast<int>(i));
}

int PackDictionary::find(std::string_view word) const {
  auto it = index_.find(word);
  return it == index_.end() ? -1 : it->second;
}

// ------------------------------------------------------------------ writing

void PackWriter::u64(uint64_t v) {
  while (v >= 0x80) {
    out_.push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out_.push_back(static_cast<char>(v));
}

void PackWriter::i64(int64_t v) {
  u64((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
}

// A string's header is odd for a dictionary reference (index << 1 | 1) and
// even for literal bytes (length << 1, then the bytes).
void PackWriter::str(std::string_view s) {
  if (s.empty()) return u64(0);
  if (const int i = dictionary_.find(s); i >= 0) return u64((static_cast<uint64_t>(i) << 1) | 1);
  u64(static_cast<uint64_t>(s.size()) << 1);
  out_.append(s);
}

void PackWriter::map(const StringMap& m) {
  u64(m.size());
  for (const auto& [key, value] : m) {
    str(key);
    str(value);
  }
}

void PackWriter::meta(const ObjectMeta& m) {
  str(m.name);
  str(m.namespace_);
  str(m.uid);
  str(m.resourceVersion);
  i64(m.generation);
  map(m.labels);
  map(m.annotations);
  list(m.ownerReferences, [](PackWriter& w, const OwnerReference& r) {
    w.str(r.apiVersion);
    w.str(r.kind);
    w.str(r.name);
    w.str(r.uid);
    w.u64((r.controller ? 1u : 0u) | (r.blockOwnerDeletion ? 2u : 0u));
  });
  flag(m.deletionTimestamp.has_value());
  if (m.deletionTimestamp) time(*m.deletionTimestamp);
  time(m.creationTimestamp);
}

// ------------------------------------------------------------------ reading

bool PackReader::u64(uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (!ok_ || at_ >= in_.size()) return fail();
    const auto byte = static_cast<uint8_t>(in_[at_++]);
    v |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) return true;
  }
  return fail();
}

bool PackReader::i64(int64_t& v) {
  uint64_t z = 0;
  if (!u64(z)) return false;
  v = static_cast<int64_t>(z >> 1) ^ -static_cast<int64_t>(z & 1);
  return true;
}

bool PackReader::flag(bool& v) {
  uint64_t raw = 0;
  if (!u64(raw) || raw > 1) return fail();
  v = raw == 1;
  return true;
}

bool PackReader::view(std::string_view& s) {
  uint64_t header = 0;
  if (!u64(header)) return false;
  if (header & 1) {
    const uint64_t index = header >> 1;
    if (index >= dictionary_.size()) return fail();
    s = dictionary_.at(index);
    return true;
  }
  const uint64_t length = header >> 1;
  if (length > in_.size() - at_) return fail();
  s = in_.substr(at_, length);
  at_ += length;
  return true;
}

bool PackReader::str(std::string& s) {
  std::string_view v;
  if (!view(v)) return false;
  s.assign(v);
  return true;
}

bool PackReader::time(WallTime& t) {
  int64_t ticks = 0;
  if (!i64(ticks)) return false;
  t = WallTime(WallTime::duration(ticks));
  return true;
}

bool PackReader::map(StringMap& m) {
  uint64_t n = 0;
  if (!u64(n) || n > in_.size() - at_) return fail();
  std::vector<StringMap::value_type> entries;
  entries.reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view key;
    std::string_view value;
    if (!view(key) || !view(value)) return false;
    entries.emplace_back(key, value);
  }
  m = StringMap::fromEntries(std::move(entries));
  return true;
}

bool PackReader::meta(ObjectMeta& m) {
  if (!str(m.name) || !str(m.namespace_) || !str(m.uid) || !str(m.resourceVersion) ||
      !i64(m.generation) || !map(m.labels) || !map(m.annotations)) {
    return false;
  }
  const bool refs = list(m.ownerReferences, [](PackReader& r, OwnerReference& ref) {
    uint64_t flags = 0;
    if (!r.str(ref.apiVersion) || !r.str(ref.kind) || !r.str(ref.name) || !r.str(ref.uid) ||
        !r.u64(flags) || flags > 3) {
      return false;
    }
    ref.controller = (flags & 1) != 0;
    ref.blockOwnerDeletion = (flags & 2) != 0;
    return true;
  });
  if (!refs) return false;
  bool deleting = false;
  if (!flag(deleting)) return false;
  if (deleting) {
    WallTime t{};
    if (!time(t)) return false;
    m.deletionTimestamp = t;
  } else {
    m.deletionTimestamp.reset();
  }
  return time(m.creationTimestamp);
}

// ------------------------------------------------------------------ storage

PackedPtr makePacked(std::string_view bytes) {
  const auto size = static_cast<uint32_t>(bytes.size());
  // One allocation: the control block and the array together.
  std::shared_ptr<char[]> block =
      std::make_shared_for_overwrite<char[]>(sizeof size + bytes.size());
  std::memcpy(block.get(), &size, sizeof size);
  if (!bytes.empty()) std::memcpy(block.get() + sizeof size, bytes.data(), bytes.size());
  return block;
}

std::string_view packedBytes(const char* packed) {
  uint32_t size = 0;
  std::memcpy(&size, packed, sizeof size);
  return {packed + sizeof size, size};
}

void corruptPackedObject(std::string_view type) {
  log::error("A cached object's packed bytes do not decode; stopping (a bug, please report it)",
             {{"type", std::string(type)}});
  std::abort();
}

}  // namespace ctrl
