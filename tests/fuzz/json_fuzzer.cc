// ctrl::parseJson under its size and depth limits. Properties: the parser
// never crashes or throws; a document accepted under tight limits is accepted
// under the defaults too; an accepted document never nests deeper than the
// limit and survives a dump/parse round trip unchanged. ctrl::parseApiJson,
// in each of its modes (managedFields dropped or kept, metadataOnly or whole),
// accepts exactly what parseJson accepts, refuses with the same message, and
// builds parseJson's tree less what the mode leaves out (the references in
// tests/mocks: eraseManagedFields, keepTypeAndMetadata).
#include <cstddef>
#include <cstdint>

#include "controller/json.h"
#include "fuzz_check.h"
#include "mocks/managed_fields.h"
#include "mocks/metadata_only.h"

namespace {

using stfuzz::check;

int depthOf(const ctrl::Json& json) {
  if (!json.is_structured()) return 0;
  int deepest = 0;
  for (const auto& child : json) deepest = std::max(deepest, depthOf(child));
  return deepest + 1;
}

// parseApiJson(text, {}, options) against `reference`, parseJson(text).
void checkApiJson(std::string_view text, const ctrl::StatusOr<ctrl::Json>& reference,
                  const ctrl::ApiJsonOptions& options) {
  auto api = ctrl::parseApiJson(text, {}, options);
  check(api.isOk() == reference.isOk(), "parseApiJson and parseJson disagree on validity");
  if (!api.isOk()) {
    check(api.status().message() == reference.status().message(),
          "parseApiJson and parseJson refuse with different messages");
    return;
  }
  ctrl::Json want = *reference;
  if (options.metadataOnly) sttest::keepTypeAndMetadata(want);
  if (options.dropManagedFields) sttest::eraseManagedFields(want);
  // The whole tree, so metadata (and apiVersion, kind) are parseJson's too.
  check(*api == want, "parseApiJson left out other than what its options say");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text = stfuzz::asText(data, size);
  constexpr ctrl::JsonLimits kTight{.maxBytes = 4096, .maxDepth = 4};

  auto tight = ctrl::parseJson(text, kTight);
  auto loose = ctrl::parseJson(text);
  for (const bool metadataOnly : {false, true}) {
    for (const bool drop : {true, false}) {
      checkApiJson(text, loose, {.dropManagedFields = drop, .metadataOnly = metadataOnly});
    }
  }
  check(!tight.isOk() || loose.isOk(), "accepted under tight limits but not the defaults");
  if (tight.isOk()) {
    check(depthOf(*tight) <= kTight.maxDepth, "accepted a document deeper than maxDepth");
    check(*tight == *loose, "tight and default limits parsed to different values");
  }
  if (!loose.isOk()) {
    check(loose.status().code() == ctrl::Code::kInvalidArgument, "error is not InvalidArgument");
    return 0;
  }
  check(depthOf(*loose) <= ctrl::JsonLimits{}.maxDepth, "accepted a document deeper than 64");
  // Parsed strings are valid UTF-8, so dump() cannot throw.
  const std::string dumped = loose->dump();
  auto again = ctrl::parseJson(dumped);
  check(again.isOk(), "a dumped document does not parse");
  // NaN cannot come out of JSON text, so equality is well defined.
  check(*again == *loose, "a dump/parse round trip changed the document");
  return 0;
}
