// buildEvent(): the events.k8s.io/v1 Event the recorder sends, written as
// text, read back as the API server reads it.
#include "events/event_builder.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <chrono>
#include <nlohmann/json.hpp>

namespace {

using ctrl::Json;

ctrl::EventFields minted() {
  ctrl::EventFields f;
  f.regarding = {"ServiceToken", "servicetoken.dev/v1alpha1", "team-a", "web", "uid-1", "42"};
  f.reason = "Minted";
  f.action = "IssueToken";
  f.note = "Minted token \"t-1\" (revision 1)\ninto Secret web-token";
  return f;
}

const ctrl::WallTime kFirst =
    ctrl::WallTime(std::chrono::seconds(1767225600)) + std::chrono::microseconds(123456);

Json built(const ctrl::EventFields& f, int64_t count, ctrl::WallTime last = kFirst) {
  auto text =
      ctrl::buildEvent(f, "web.0001", "servicetoken.dev/operator", "pod-1", kFirst, count, last);
  EXPECT_TRUE(text.isOk()) << text.status().toString();
  return text.isOk() ? Json::parse(text->text) : Json();
}

TEST(BuildEvent, ANewEventCarriesEveryFieldTheApiNeeds) {
  EXPECT_EQ(built(minted(), 1), Json::parse(R"({
    "apiVersion": "events.k8s.io/v1", "kind": "Event",
    "metadata": {"name": "web.0001", "namespace": "team-a"},
    "eventTime": "2026-01-01T00:00:00.123456Z",
    "reportingController": "servicetoken.dev/operator", "reportingInstance": "pod-1",
    "action": "IssueToken", "reason": "Minted", "type": "Normal",
    "regarding": {"kind": "ServiceToken", "apiVersion": "servicetoken.dev/v1alpha1",
                  "namespace": "team-a", "name": "web", "uid": "uid-1", "resourceVersion": "42"},
    "note": "Minted token \"t-1\" (revision 1)\ninto Secret web-token"})"));
}

TEST(BuildEvent, ARepeatCarriesItsSeriesAndEmptyFieldsAreLeftOut) {
  ctrl::EventFields f = minted();
  f.type = ctrl::EventType::kWarning;
  f.note.clear();
  f.regarding.ns.clear();  // cluster-scoped
  f.regarding.resourceVersion.clear();
  Json event = built(f, 3, kFirst + std::chrono::seconds(5));
  EXPECT_EQ(event["type"], "Warning");
  EXPECT_FALSE(event.contains("note"));
  EXPECT_EQ(event["metadata"]["namespace"], "default");
  EXPECT_FALSE(event["regarding"].contains("namespace"));
  EXPECT_FALSE(event["regarding"].contains("resourceVersion"));
  EXPECT_EQ(event["series"],
            Json::parse(R"({"count": 3, "lastObservedTime": "2026-01-01T00:00:05.123456Z"})"));
}

// The series patch sets exactly the series a new Event of that count carries.
TEST(BuildEvent, TheSeriesPatchCarriesTheSeriesOfTheEvent) {
  const ctrl::WallTime last = kFirst + std::chrono::seconds(9);
  auto patch = ctrl::seriesPatch(4, last);
  ASSERT_TRUE(patch.isOk()) << patch.status().toString();
  const Json parsed = Json::parse(patch->text);
  EXPECT_EQ(parsed, Json({{"series", built(minted(), 4, last)["series"]}}));
  EXPECT_EQ(parsed["series"]["count"], 4);
}

TEST(BuildEvent, ANoteThatIsNotUtf8IsAnError) {
  ctrl::EventFields f = minted();
  f.note = "bad \xff";
  auto text = ctrl::buildEvent(f, "web.0001", "c", "i", kFirst, 1, kFirst);
  ASSERT_FALSE(text.isOk());
  EXPECT_EQ(text.status().code(), ctrl::Code::kInvalidArgument);
}

}  // namespace
