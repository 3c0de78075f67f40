// Decoding a watch stream: one JSON event {type, object} per line, each parsed
// under size and depth limits and handed to the caller's handler.
#pragma once

#include <string_view>

#include "controller/client.h"
#include "controller/json.h"

namespace ctrl::client {

class WatchDecoder {
 public:
  // `resource` and `handler` must outlive the decoder. `dropManagedFields`:
  // objects come without metadata.managedFields (parseApiJson).
  WatchDecoder(const Resource& resource, JsonLimits limits, const WatchHandler& handler,
               bool dropManagedFields = false)
      : resource_(resource),
        limits_(limits),
        handler_(handler),
        dropManagedFields_(dropManagedFields) {}
  WatchDecoder(const WatchDecoder&) = delete;
  WatchDecoder& operator=(const WatchDecoder&) = delete;

  // Decodes one line and calls the handler (blank lines are skipped). Returns
  // false to stop the stream: the handler asked to, or the line was bad (then
  // error() says why: InvalidArgument for a line over the limits or not JSON,
  // Internal for an unknown event shape).
  bool onLine(std::string_view line);

  const Status& error() const { return error_; }

 private:
  const Resource& resource_;
  JsonLimits limits_;
  const WatchHandler& handler_;
  const bool dropManagedFields_;
  Status error_;
};

}  // namespace ctrl::client
