// An event as the recorder keeps it while it waits in the queue and while
// its series is remembered: one string of packed bytes (controller/pack.h)
// instead of nine std::string members. A fleet's first mint queues 10,000
// events at once; as structs they held about 500 bytes each, twice over
// (queue and series cache).
#pragma once

#include <string>
#include <string_view>

#include "controller/event_recorder.h"
#include "controller/pack.h"
#include "events/event_builder.h"

namespace ctrl {

class PackedEvent {
 public:
  PackedEvent() = default;
  // `note` is kept as given (truncate it first).
  PackedEvent(const ObjectRef& regarding, EventType type, std::string_view reason,
              std::string_view action, std::string_view note, const PackDictionary& words);

  // The bytes that make the event's series: every field but the regarding
  // object's resourceVersion. Two events are of one series exactly when
  // these are equal (packing is deterministic for one dictionary).
  std::string_view seriesBytes() const { return std::string_view(bytes_).substr(0, seriesSize_); }

  // The fields back. False only for bytes this class did not write.
  bool unpack(const PackDictionary& words, EventFields& fields) const;

  size_t size() const { return bytes_.size(); }

 private:
  std::string bytes_;
  size_t seriesSize_ = 0;
};

}  // namespace ctrl
