// The watch stream decoder: the input is a response body, cut into lines at
// '\n' as the transport does, each line decoded by client::WatchDecoder under
// the client's limits; events go where the reflector sends them (object
// metadata for the cache, a Status for ERROR events). The same bytes are also
// read as an error answer (statusFromResponse, retryAfter). Properties: no
// crash, the decoder stops at its first bad line with an error, and every
// event it hands out is a JSON object.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "client/api_errors.h"
#include "client/watch_decoder.h"
#include "controller/object_meta.h"
#include "controller/resource.h"
#include "fuzz_check.h"

namespace {

using stfuzz::check;

bool onEvent(const ctrl::WatchEvent& event) {
  check(event.object != nullptr && event.object->is_object(), "an event without an object");
  switch (event.type) {
    case ctrl::WatchEventType::kError:
      (void)ctrl::client::statusFromObject(*event.object, 200);
      return false;  // the reflector stops at an ERROR event
    case ctrl::WatchEventType::kBookmark:
    case ctrl::WatchEventType::kAdded:
    case ctrl::WatchEventType::kModified:
    case ctrl::WatchEventType::kDeleted: {
      auto meta = ctrl::decodeObjectMetaOf(*event.object);
      if (meta.isOk()) (void)meta->key();
      return true;
    }
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view body = stfuzz::asText(data, size);
  // The client's limits (ClientOptions), with a small event size so the
  // fuzzer reaches the size check too.
  const ctrl::JsonLimits limits{.maxBytes = 2048, .maxDepth = 65};
  const ctrl::WatchHandler handler = onEvent;
  ctrl::client::WatchDecoder decoder(ctrl::resources::secret(), limits, handler);

  size_t start = 0;
  bool more = true;
  while (more && start <= body.size()) {
    size_t nl = body.find('\n', start);
    if (nl == std::string_view::npos) nl = body.size();
    more = decoder.onLine(body.substr(start, nl - start));
    start = nl + 1;
  }
  if (!decoder.error().isOk()) check(!more, "the decoder went on after a bad line");

  ctrl::HttpResponse response;
  response.status = 400 + static_cast<int>(size % 200);
  response.body.assign(body);
  const size_t firstLine = body.find('\n');
  response.headers.emplace_back("Retry-After", body.substr(0, firstLine));
  ctrl::Status status = ctrl::client::statusFromResponse(response);
  check(!status.isOk(), "an error answer mapped to OK");
  (void)ctrl::client::retryAfter(response);
  return 0;
}
