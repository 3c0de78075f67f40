#include "client/watch_decoder.h"

#include <optional>

#include "client/type_meta.h"

namespace ctrl::client {
namespace {

std::optional<WatchEventType> eventType(const Json& type) {
  if (!type.is_string()) return std::nullopt;
  const auto& s = type.get_ref<const std::string&>();
  if (s == "ADDED") return WatchEventType::kAdded;
  if (s == "MODIFIED") return WatchEventType::kModified;
  if (s == "DELETED") return WatchEventType::kDeleted;
  if (s == "BOOKMARK") return WatchEventType::kBookmark;
  if (s == "ERROR") return WatchEventType::kError;
  return std::nullopt;
}

}  // namespace

bool WatchDecoder::onLine(std::string_view line) {
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) return true;
  auto event = dropManagedFields_ ? parseApiJson(line, limits_) : parseJson(line, limits_);
  if (!event.isOk()) {
    error_ = event.status().withContext("watch event");
    return false;
  }
  if (!event->is_object()) {
    error_ = Status(Code::kInternal, "watch event is not a JSON object");
    return false;
  }
  auto typeIt = event->find("type");
  auto objectIt = event->find("object");
  std::optional<WatchEventType> type = typeIt == event->end() ? std::nullopt : eventType(*typeIt);
  if (!type || objectIt == event->end() || !objectIt->is_object()) {
    error_ = Status(Code::kInternal, "watch event without a known type and an object");
    return false;
  }
  // ERROR carries a Status, which has its own kind.
  if (*type != WatchEventType::kError) fillTypeMeta(*objectIt, resource_);
  return handler_(WatchEvent{*type, &*objectIt});
}

}  // namespace ctrl::client
