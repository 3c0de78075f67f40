// The Writer's default text writes: parse, then the object overloads. The
// client itself sends the text as is (client_impl.cc).
#include "controller/client.h"
#include "controller/json.h"

namespace ctrl {
namespace {

StatusOr<Json> parsed(const JsonText& body, const char* call) {
  auto object = parseJson(body.text);
  if (!object.isOk()) {
    return Status(Code::kInvalidArgument, std::string(call) + ": " + object.status().message());
  }
  return object;
}

}  // namespace

StatusOr<Json> Writer::createText(const Resource& resource, std::string_view ns, JsonText body,
                                  const WriteOptions& options, const CallOptions& call) {
  auto object = parsed(body, "createText");
  if (!object.isOk()) return object.status();
  return create(resource, ns, *object, options, call);
}

StatusOr<Json> Writer::patchText(const Resource& resource, std::string_view ns,
                                 std::string_view name, PatchType type, JsonText body,
                                 const PatchOptions& options, const CallOptions& call) {
  auto object = parsed(body, "patchText");
  if (!object.isOk()) return object.status();
  return patch(resource, ns, name, type, *object, options, call);
}

}  // namespace ctrl
