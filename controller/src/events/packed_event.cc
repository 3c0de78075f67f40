#include "events/packed_event.h"

namespace ctrl {

PackedEvent::PackedEvent(const ObjectRef& regarding, EventType type, std::string_view reason,
                         std::string_view action, std::string_view note,
                         const PackDictionary& words) {
  bytes_.reserve(regarding.kind.size() + regarding.apiVersion.size() + regarding.ns.size() +
                 regarding.name.size() + regarding.uid.size() + regarding.resourceVersion.size() +
                 reason.size() + action.size() + note.size() + 12);
  PackWriter w(bytes_, words);
  w.str(regarding.kind);
  w.str(regarding.apiVersion);
  w.str(regarding.ns);
  w.str(regarding.name);
  w.str(regarding.uid);
  w.u64(type == EventType::kWarning ? 1 : 0);
  w.str(reason);
  w.str(action);
  w.str(note);
  seriesSize_ = bytes_.size();
  w.str(regarding.resourceVersion);
  bytes_.shrink_to_fit();
}

bool PackedEvent::unpack(const PackDictionary& words, EventFields& fields) const {
  PackReader r(bytes_, words);
  uint64_t type = 0;
  const bool ok = r.str(fields.regarding.kind) && r.str(fields.regarding.apiVersion) &&
                  r.str(fields.regarding.ns) && r.str(fields.regarding.name) &&
                  r.str(fields.regarding.uid) && r.u64(type) && type <= 1 && r.str(fields.reason) &&
                  r.str(fields.action) && r.str(fields.note) &&
                  r.str(fields.regarding.resourceVersion) && r.done();
  fields.type = type == 1 ? EventType::kWarning : EventType::kNormal;
  return ok;
}

}  // namespace ctrl
