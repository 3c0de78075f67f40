#include "events/event_builder.h"

#include <cctype>
#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "controller/micro_time.h"
#include "controller/resource.h"

namespace ctrl {

std::string truncateNote(std::string_view note) {
  if (note.size() <= kMaxNoteBytes) return std::string(note);
  size_t cut = kMaxNoteBytes;
  // Back up over continuation bytes (10xxxxxx) to the start of a sequence.
  while (cut > 0 && (static_cast<unsigned char>(note[cut]) & 0xC0U) == 0x80U) --cut;
  return std::string(note.substr(0, cut));
}

std::string_view eventTypeName(EventType type) {
  return type == EventType::kWarning ? "Warning" : "Normal";
}

std::string eventNamespace(const ObjectRef& regarding) {
  return regarding.ns.empty() ? "default" : regarding.ns;
}

std::string eventName(const ObjectRef& regarding, WallTime when, uint32_t sequence) {
  std::string base;
  for (char c : regarding.name.substr(0, 200)) {
    const auto u = static_cast<unsigned char>(c);
    base += std::isalnum(u) || c == '-' || c == '.' ? static_cast<char>(std::tolower(u)) : '-';
  }
  if (base.empty() || !std::isalnum(static_cast<unsigned char>(base.front()))) {
    base = "x" + base;  // not insert(0, ...): GCC 12 -Wrestrict false positive at -O2
  }
  const auto nanos = std::chrono::duration_cast<std::chrono::nanoseconds>(when.time_since_epoch());
  char suffix[32];
  std::snprintf(suffix, sizeof suffix, ".%016llx%04x",
                static_cast<unsigned long long>(nanos.count()), sequence & 0xFFFFU);
  return base + suffix;
}

namespace {

// "series": {count, lastObservedTime}, in an object being written.
void writeSeries(JsonWriter& w, int64_t count, WallTime lastObserved) {
  w.key("series")
      .beginObject()
      .member("count", count)
      .member("lastObservedTime", formatMicroTime(lastObserved))
      .endObject();
}

}  // namespace

StatusOr<JsonText> buildEvent(const EventFields& fields, const std::string& name,
                              const std::string& reportingController,
                              const std::string& reportingInstance, WallTime firstObserved,
                              int64_t count, WallTime lastObserved) {
  JsonWriter w;
  w.beginObject()
      .member("apiVersion", resources::event().apiVersion())
      .member("kind", resources::event().kind);
  w.key("metadata")
      .beginObject()
      .member("name", name)
      .member("namespace", eventNamespace(fields.regarding))
      .endObject();
  w.member("eventTime", formatMicroTime(firstObserved))
      .member("reportingController", reportingController)
      .member("reportingInstance", reportingInstance)
      .member("action", fields.action)
      .member("reason", fields.reason)
      .member("type", eventTypeName(fields.type));
  w.key("regarding").beginObject();
  auto put = [&](std::string_view key, const std::string& value) {
    if (!value.empty()) w.member(key, value);
  };
  put("kind", fields.regarding.kind);
  put("apiVersion", fields.regarding.apiVersion);
  put("namespace", fields.regarding.ns);
  put("name", fields.regarding.name);
  put("uid", fields.regarding.uid);
  put("resourceVersion", fields.regarding.resourceVersion);
  w.endObject();
  if (!fields.note.empty()) w.member("note", fields.note);
  if (count >= 2) writeSeries(w, count, lastObserved);
  w.endObject();
  return std::move(w).take();
}

StatusOr<JsonText> seriesPatch(int64_t count, WallTime lastObserved) {
  JsonWriter w;
  w.beginObject();
  writeSeries(w, count, lastObserved);
  w.endObject();
  return std::move(w).take();
}

}  // namespace ctrl
