// SteeringTable: per class, which WAN link a flow goes to, as one array lookup. Built by control, read by workers.
#pragma once
#include <cstdint>

#include "dataplane/limits.hpp"

namespace wansteer {

enum class SteerMode : uint8_t { priority = 0, balance = 1, best = 2 };

inline constexpr uint32_t kPickSlots = 64;  // flow_hash & (kPickSlots-1) selects a slot; weights resolve to 1/64

struct ClassSteering {
  uint16_t allowed_mask = 0;  // bit i: the policy allows link i for this class
  uint16_t usable_mask = 0;   // bit i: allowed and alive now (admin up, next hop known, answering probes)
  uint16_t stay_mask = 0;     // bit i: a cached flow already on link i may stay there (see the planner)
  // bit i: the class's path on link i goes through the WireGuard overlay to the hub now (issue 13), not straight
  // out of the link. Per link, one kind at a time: the planner takes the first path of the class's `paths` that
  // qualifies over that link. Flows cached on link i follow a change of kind with the next snapshot.
  uint16_t overlay_mask = 0;
  // A second link whose overlay path gets a copy of each packet of the class sealed for another link (duplicate:),
  // kNoLink when none; both copies carry the same WireGuard counter, so the hub's replay window drops the later one.
  uint8_t dup_link = kNoLink;
  SteerMode mode = SteerMode::priority;
  bool by_host_pair = false;      // flows of one (src, dst) host pair share one link (SIP + RTP of a call)
  uint8_t pick_slot[kPickSlots];  // link index per slot for new (or moved) flows, kNoLink when nothing is usable

  uint8_t pick(uint32_t flow_hash) const { return pick_slot[flow_hash & (kPickSlots - 1)]; }
  bool usable(uint8_t link) const { return link < kMaxLinks && (usable_mask >> link) & 1u; }
  bool may_stay(uint8_t link) const { return link < kMaxLinks && (stay_mask >> link) & 1u; }
  bool via_overlay(uint8_t link) const { return link < kMaxLinks && (overlay_mask >> link) & 1u; }
};

struct SteeringTable {
  ClassSteering cls[kMaxClasses];
};

}  // namespace wansteer
