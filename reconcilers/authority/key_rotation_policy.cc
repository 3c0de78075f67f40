#include "authority/key_rotation_policy.h"

#include <algorithm>

namespace st {
namespace {

using ctrl::WallTime;

void wakeNoLaterThan(RotationDecision& d, WallTime t) {
  if (!d.wakeAt || t < *d.wakeAt) d.wakeAt = t;
}

bool inUse(const RotationInput& in, const std::string& kid) {
  return !in.kidsInUse || in.kidsInUse->contains(kid);
}

// Retired keys no stored token needs, and revoked kids no stored token
// carries: the clean-up that goes with any other step.
void collectDrops(const RotationInput& in, RotationDecision& d) {
  if (!in.kidsInUse) return;
  for (const auto& [kid, times] : in.record.keys) {
    if (kid == in.activeKid || !times.retired) continue;
    const WallTime earliest = *times.retired + in.publishDelay;
    if (in.now < earliest) {
      wakeNoLaterThan(d, earliest);
      continue;
    }
    if (!inUse(in, kid)) d.drop.push_back(kid);
  }
  for (const auto& [kid, at] : in.record.revoked) {
    if (!inUse(in, kid)) d.forgetRevoked.push_back(kid);
  }
}

}  // namespace

std::string nextKeyId(const KeyRingRecord& record) {
  std::string next;
  WallTime newest{};
  for (const auto& [kid, times] : record.keys) {
    if (times.activated || times.retired) continue;
    if (next.empty() || times.created > newest) {
      next = kid;
      newest = times.created;
    }
  }
  return next;
}

std::optional<WallTime> scheduledRotationAt(const KeyRingRecord& record,
                                            const std::string& activeKid, ctrl::Duration interval,
                                            WallTime now) {
  if (interval <= ctrl::Duration::zero()) return std::nullopt;
  auto active = record.keys.find(activeKid);
  const WallTime activeSince =
      active == record.keys.end() ? now : active->second.activated.value_or(active->second.created);
  return activeSince + std::chrono::duration_cast<WallTime::duration>(interval);
}

RotationDecision decideKeyRotation(const RotationInput& in) {
  RotationDecision d;
  const bool requested = !in.request.empty() && in.request != in.record.honouredRequest;

  // A compromise: nothing that was in the Secret is trusted any more.
  if (requested && in.retireOld) {
    d.replaceAll = true;
    d.honour = in.request;
    d.message =
        "Rotation with retire-old was requested: a new key signs now and every other key is "
        "withdrawn from the JWKS at once";
    return d;
  }

  collectDrops(in, d);
  if (!d.drop.empty() || !d.forgetRevoked.empty()) {
    d.message = "No stored unexpired token needs the dropped keys or carries the forgotten kids";
  }

  const std::optional<WallTime> scheduledAt =
      scheduledRotationAt(in.record, in.activeKid, in.interval, in.now);
  const bool scheduled = scheduledAt.has_value();
  const WallTime dueAt = scheduledAt.value_or(in.now);
  const bool due = requested || (scheduled && in.now >= dueAt);

  const std::string next = nextKeyId(in.record);
  if (next.empty()) {
    const WallTime prepareAt =
        dueAt - std::chrono::duration_cast<WallTime::duration>(in.publishDelay);
    if (requested || (scheduled && in.now >= prepareAt)) {
      // Room for the new key after what is dropped now.
      if (in.record.keys.size() - d.drop.size() >= in.maxKeys) {
        d.message = "The ring holds " + std::to_string(in.record.keys.size()) +
                    " keys, the most it may: no new key until tokens signed by a retired key "
                    "expire or are replaced";
        return d;
      }
      d.createNext = true;
      d.message = requested ? "Rotation was requested: a new key is published before it signs"
                            : "The signing key is due for rotation: a new key is published "
                              "before it signs";
    } else if (scheduled) {
      wakeNoLaterThan(d, prepareAt);
    }
    return d;
  }

  const WallTime publishedLongEnough =
      in.record.keys.at(next).created +
      std::chrono::duration_cast<WallTime::duration>(in.publishDelay);
  if (due && in.now >= publishedLongEnough) {
    d.promote = next;
    if (requested) d.honour = in.request;
    d.message = "The new key has been published for the publish delay and signs from now";
    return d;
  }
  if (due) {
    wakeNoLaterThan(d, publishedLongEnough);
  } else if (scheduled) {
    wakeNoLaterThan(d, std::max(dueAt, publishedLongEnough));
  }
  return d;
}

}  // namespace st
