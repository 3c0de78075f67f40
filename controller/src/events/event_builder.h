// Building events.k8s.io/v1 Event objects and their series patches (pure
// functions; the recorder decides when to send what).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "controller/client.h"
#include "controller/clock.h"
#include "controller/event_recorder.h"
#include "controller/json_writer.h"

namespace ctrl {

// The API's limit on Event.note, in bytes.
inline constexpr size_t kMaxNoteBytes = 1024;

// `note` cut to at most kMaxNoteBytes without splitting a UTF-8 sequence.
std::string truncateNote(std::string_view note);

// "Normal" or "Warning".
std::string_view eventTypeName(EventType type);

// The namespace an Event about `regarding` lives in ("default" for
// cluster-scoped objects).
std::string eventNamespace(const ObjectRef& regarding);

// A unique Event name: the regarding name made DNS-safe, then ".", 16 hex
// digits of `when` (ns since the epoch) and 4 of `sequence`.
std::string eventName(const ObjectRef& regarding, WallTime when, uint32_t sequence);

struct EventFields {
  ObjectRef regarding;
  EventType type = EventType::kNormal;
  std::string reason;
  std::string action;
  std::string note;  // already truncated
};

// A new Event named `name`, as text (no tree is built). eventTime is
// `firstObserved`; with count >= 2 it carries series {count,
// lastObservedTime}. Errors: InvalidArgument when a field is not valid UTF-8.
StatusOr<JsonText> buildEvent(const EventFields& fields, const std::string& name,
                              const std::string& reportingController,
                              const std::string& reportingInstance, WallTime firstObserved,
                              int64_t count, WallTime lastObserved);

// The merge patch that sets series {count, lastObservedTime}, as text, the
// series written as buildEvent() writes it.
StatusOr<JsonText> seriesPatch(int64_t count, WallTime lastObserved);

}  // namespace ctrl
