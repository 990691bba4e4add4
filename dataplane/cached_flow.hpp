// A cached flow's two questions, asked the same way by the fast lane, the general path and host-pair steering:
// does its cache entry still speak for it, and on which link does it go now.
#pragma once
#include <cstdint>

#include "dataplane/counters.hpp"
#include "dataplane/flow_cache.hpp"
#include "dataplane/route_table.hpp"
#include "dataplane/steering.hpp"

namespace wansteer {

// Made under the current policy (`generation` = flow_generation of the snapshot's) and seen within the idle
// timeout. An entry that fails this is classified again.
inline bool flow_entry_current(const FlowEntry& e, uint16_t generation, uint64_t now_tsc, uint64_t idle_tsc) {
  return e.policy_generation == generation && now_tsc - e.last_seen_tsc <= idle_tsc;
}

// An entry made under an older policy, still active (seen within the idle timeout), on a link the new plan lets
// class `cls` stay on: it keeps that link. A reload alone never moves a call; only class and limits are new.
inline bool keeps_link_across_reload(const RouteTable& routes, const FlowEntry& e, uint8_t cls, uint16_t generation,
                                     uint64_t now_tsc, uint64_t idle_tsc) {
  return e.policy_generation != generation && now_tsc - e.last_seen_tsc <= idle_tsc && routes.may_stay(cls, e.link);
}

// The link for a current entry of class `cls` (a flow or a host pair): its own while the plan lets it stay there,
// else a new pick. With nothing usable the entry keeps its link, so the flow resumes there when a link returns.
inline uint8_t steer_cached(const RouteTable& routes, const ClassSteering& cs, uint8_t cls, FlowEntry* e, uint32_t hash,
                            WorkerCounters& c) {
  if (routes.may_stay(cls, e->link)) return e->link;
  uint8_t link = cs.pick(hash);
  if (link == kNoLink) return kNoLink;
  if (e->link != kNoLink && e->link != link) c.flow_moves.inc();
  e->link = link;
  return link;
}

}  // namespace wansteer
