#include "controller/object_meta.h"

#include <charconv>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ctrl {
namespace {

Status fieldError(std::string_view field, std::string_view what) {
  return {Code::kInvalidArgument, "metadata." + std::string(field) + ": " + std::string(what)};
}

// Reads an optional string field. Absent or null leaves `out` untouched.
Status readString(const Json& obj, const char* field, std::string& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return Status::ok();
  if (!it->is_string()) return fieldError(field, "expected a string");
  out = it->get_ref<const std::string&>();
  return Status::ok();
}

Status readStringMap(const Json& obj, const char* field, StringMap& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return Status::ok();
  if (!it->is_object()) return fieldError(field, "expected an object");
  std::vector<StringMap::value_type> entries;
  entries.reserve(it->size());
  for (const auto& [k, v] : it->items()) {
    if (!v.is_string()) return fieldError(field, "expected string values");
    entries.emplace_back(k, v.get_ref<const std::string&>());
  }
  out = StringMap::fromEntries(std::move(entries));
  return Status::ok();
}

Status readTime(const Json& obj, const char* field, std::optional<WallTime>& out) {
  auto it = obj.find(field);
  if (it == obj.end() || it->is_null()) return Status::ok();
  if (!it->is_string()) return fieldError(field, "expected a string");
  auto t = parseRfc3339(it->get_ref<const std::string&>());
  if (!t.isOk()) return fieldError(field, "malformed timestamp");
  out = *t;
  return Status::ok();
}

StatusOr<OwnerReference> decodeOwnerReference(const Json& j) {
  if (!j.is_object()) return fieldError("ownerReferences", "expected objects");
  OwnerReference ref;
  for (auto [field, out] : {std::pair{"apiVersion", &ref.apiVersion}, std::pair{"kind", &ref.kind},
                            std::pair{"name", &ref.name}, std::pair{"uid", &ref.uid}}) {
    if (Status s = readString(j, field, *out); !s.isOk()) {
      return s.withContext("ownerReferences");
    }
  }
  for (auto [field, out] : {std::pair{"controller", &ref.controller},
                            std::pair{"blockOwnerDeletion", &ref.blockOwnerDeletion}}) {
    auto it = j.find(field);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_boolean()) return fieldError("ownerReferences", "expected a boolean");
    *out = it->get<bool>();
  }
  return ref;
}

// Parses exactly `n` decimal digits at `pos`, advancing it.
bool digits(std::string_view s, size_t& pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  auto [end, ec] = std::from_chars(s.data() + pos, s.data() + pos + n, out);
  if (ec != std::errc() || end != s.data() + pos + n) return false;
  pos += n;
  return true;
}

bool expect(std::string_view s, size_t& pos, char c) {
  if (pos >= s.size() || (s[pos] != c && !(c == 'T' && s[pos] == 't'))) return false;
  ++pos;
  return true;
}

}  // namespace

std::string objectKey(std::string_view ns, std::string_view name) {
  if (ns.empty()) return std::string(name);
  std::string key;
  key.reserve(ns.size() + 1 + name.size());
  key.append(ns).append("/").append(name);
  return key;
}

std::string ObjectMeta::key() const { return objectKey(namespace_, name); }

const OwnerReference* ObjectMeta::controllerRef() const {
  for (const auto& ref : ownerReferences) {
    if (ref.controller) return &ref;
  }
  return nullptr;
}

StatusOr<ObjectMeta> decodeObjectMeta(const Json& metadata) {
  if (!metadata.is_object()) return fieldError("", "expected an object");
  ObjectMeta meta;
  for (auto [field, out] :
       {std::pair{"name", &meta.name}, std::pair{"namespace", &meta.namespace_},
        std::pair{"uid", &meta.uid}, std::pair{"resourceVersion", &meta.resourceVersion}}) {
    if (Status s = readString(metadata, field, *out); !s.isOk()) return s;
  }
  if (meta.name.empty()) return fieldError("name", "missing");
  if (auto it = metadata.find("generation"); it != metadata.end() && !it->is_null()) {
    if (!it->is_number_integer()) return fieldError("generation", "expected an integer");
    meta.generation = it->get<int64_t>();
  }
  if (Status s = readStringMap(metadata, "labels", meta.labels); !s.isOk()) return s;
  if (Status s = readStringMap(metadata, "annotations", meta.annotations); !s.isOk()) return s;
  if (auto it = metadata.find("ownerReferences"); it != metadata.end() && !it->is_null()) {
    if (!it->is_array()) return fieldError("ownerReferences", "expected an array");
    meta.ownerReferences.reserve(it->size());
    for (const auto& j : *it) {
      auto ref = decodeOwnerReference(j);
      if (!ref.isOk()) return ref.status();
      meta.ownerReferences.push_back(std::move(ref).value());
    }
  }
  if (Status s = readTime(metadata, "deletionTimestamp", meta.deletionTimestamp); !s.isOk()) {
    return s;
  }
  std::optional<WallTime> created;
  if (Status s = readTime(metadata, "creationTimestamp", created); !s.isOk()) return s;
  if (created) meta.creationTimestamp = *created;
  return meta;
}

StatusOr<ObjectMeta> decodeObjectMetaOf(const Json& object) {
  if (!object.is_object()) return Status(Code::kInvalidArgument, "object: expected an object");
  auto it = object.find("metadata");
  if (it == object.end()) return Status(Code::kInvalidArgument, "metadata: missing");
  return decodeObjectMeta(*it);
}

StatusOr<WallTime> parseRfc3339(std::string_view s) {
  using namespace std::chrono;
  size_t pos = 0;
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  bool ok = digits(s, pos, 4, y) && expect(s, pos, '-') && digits(s, pos, 2, mo) &&
            expect(s, pos, '-') && digits(s, pos, 2, d) && expect(s, pos, 'T') &&
            digits(s, pos, 2, h) && expect(s, pos, ':') && digits(s, pos, 2, mi) &&
            expect(s, pos, ':') && digits(s, pos, 2, sec);
  Status bad(Code::kInvalidArgument, "malformed RFC 3339 timestamp");
  if (!ok) return bad;
  year_month_day date{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!date.ok() || h > 23 || mi > 59 || sec > 60) return bad;
  nanoseconds frac{0};
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = 100'000'000;
    size_t start = pos;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      frac += nanoseconds((s[pos] - '0') * scale);
      scale /= 10;
      ++pos;
    }
    if (pos == start) return bad;
  }
  minutes offset{0};
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int sign = s[pos] == '-' ? -1 : 1;
    ++pos;
    int oh = 0, om = 0;
    if (!digits(s, pos, 2, oh) || !expect(s, pos, ':') || !digits(s, pos, 2, om)) return bad;
    offset = minutes(sign * (oh * 60 + om));
  } else {
    return bad;
  }
  if (pos != s.size()) return bad;
  // WallTime counts nanoseconds in 64 bits (years 1677 to 2262): check the
  // range in seconds, where it cannot overflow, before converting.
  const sys_seconds whole = sys_days(date) + hours(h) + minutes(mi) + seconds(sec) - offset;
  if (whole < ceil<seconds>(WallTime::min()) || whole >= floor<seconds>(WallTime::max())) {
    return Status(Code::kInvalidArgument, "RFC 3339 timestamp out of range");
  }
  return time_point_cast<WallTime::duration>(whole) + frac;
}

std::string formatRfc3339(WallTime t) {
  using namespace std::chrono;
  auto secs = floor<seconds>(t);
  auto days = floor<std::chrono::days>(secs);
  year_month_day date{days};
  hh_mm_ss hms{secs - days};
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

}  // namespace ctrl
