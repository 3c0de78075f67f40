// PackedEvent: the recorder's packed form of an event, and what makes two
// events one series.
#include "events/packed_event.h"

#include <gtest/gtest.h>

#include <string>

namespace ctrl {
namespace {

const PackDictionary& words() {
  static const PackDictionary w{"ServiceToken", "servicetoken.dev/v1alpha1", "Minted",
                                "IssueToken"};
  return w;
}

ObjectRef ref() {
  return {"ServiceToken", "servicetoken.dev/v1alpha1", "team-a", "api", "uid-1", "42"};
}

PackedEvent pack(const ObjectRef& r, EventType type = EventType::kNormal,
                 std::string reason = "Minted", std::string action = "IssueToken",
                 std::string note = "Minted token t-1 into Secret api-token") {
  return PackedEvent(r, type, reason, action, note, words());
}

TEST(PackedEventTest, UnpacksEveryField) {
  const PackedEvent e = pack(ref(), EventType::kWarning, "MintFailed", "IssueToken", "no key");
  EventFields f;
  ASSERT_TRUE(e.unpack(words(), f));
  EXPECT_EQ(f.regarding.kind, "ServiceToken");
  EXPECT_EQ(f.regarding.apiVersion, "servicetoken.dev/v1alpha1");
  EXPECT_EQ(f.regarding.ns, "team-a");
  EXPECT_EQ(f.regarding.name, "api");
  EXPECT_EQ(f.regarding.uid, "uid-1");
  EXPECT_EQ(f.regarding.resourceVersion, "42");
  EXPECT_EQ(f.type, EventType::kWarning);
  EXPECT_EQ(f.reason, "MintFailed");
  EXPECT_EQ(f.action, "IssueToken");
  EXPECT_EQ(f.note, "no key");
}

TEST(PackedEventTest, EmptyFieldsRoundTrip) {
  const PackedEvent e = PackedEvent(ObjectRef{}, EventType::kNormal, "", "", "", words());
  EventFields f;
  f.reason = "stale";
  ASSERT_TRUE(e.unpack(words(), f));
  EXPECT_EQ(f.reason, "");
  EXPECT_EQ(f.regarding.name, "");
  EXPECT_EQ(f.type, EventType::kNormal);
}

TEST(PackedEventTest, OnlyTheResourceVersionLeavesTheSeriesUnchanged) {
  ObjectRef later = ref();
  later.resourceVersion = "43";
  EXPECT_EQ(pack(ref()).seriesBytes(), pack(later).seriesBytes());

  const PackedEvent base = pack(ref());
  auto differs = [&](const PackedEvent& other) {
    return other.seriesBytes() != base.seriesBytes();
  };
  for (std::string ObjectRef::*field : {&ObjectRef::kind, &ObjectRef::apiVersion, &ObjectRef::ns,
                                        &ObjectRef::name, &ObjectRef::uid}) {
    ObjectRef r = ref();
    r.*field += "x";
    EXPECT_TRUE(differs(pack(r)));
  }
  EXPECT_TRUE(differs(pack(ref(), EventType::kWarning)));
  EXPECT_TRUE(differs(pack(ref(), EventType::kNormal, "Rotated")));
  EXPECT_TRUE(differs(pack(ref(), EventType::kNormal, "Minted", "RotateToken")));
  EXPECT_TRUE(differs(pack(ref(), EventType::kNormal, "Minted", "IssueToken", "other")));
  // Fields are length-prefixed: moving a character between neighbours is
  // another series.
  ObjectRef shifted = ref();
  shifted.ns = "team-ap";
  shifted.name = "i";
  EXPECT_TRUE(differs(pack(shifted)));
}

TEST(PackedEventTest, CommonWordsPackAsOneByteEach) {
  const PackDictionary none{};
  const PackedEvent withWords = pack(ref());
  const PackedEvent without =
      PackedEvent(ref(), EventType::kNormal, "Minted", "IssueToken", "n", none);
  const PackedEvent withWordsShortNote =
      PackedEvent(ref(), EventType::kNormal, "Minted", "IssueToken", "n", words());
  // kind, apiVersion, reason and action: 12 + 25 + 6 + 10 bytes spelled out.
  EXPECT_EQ(without.size() - withWordsShortNote.size(), 12u + 25 + 6 + 10);
  EXPECT_LT(withWords.size(), 100u);
}

TEST(PackedEventTest, BytesOfAnotherDictionaryDoNotUnpack) {
  const PackDictionary other{"a"};
  EventFields f;
  EXPECT_FALSE(pack(ref()).unpack(other, f));  // index 0..3 beyond a 1-word dictionary
}

}  // namespace
}  // namespace ctrl
