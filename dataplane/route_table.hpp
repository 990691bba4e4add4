// RouteTable: per (class, WAN link), how a LAN->WAN packet leaves: the frame's new MACs, straight to tx staging
// or through egress, the counters it adds to, and whether a cached flow may stay. Each worker rebuilds its own
// when the snapshot changes; the fast lane and the general path both forward through it, so they cannot disagree.
#pragma once
#include <cstdint>

#include "dataplane/counters.hpp"
#include "dataplane/limits.hpp"
#include "dataplane/tx_queue.hpp"

namespace wansteer {

struct DataplaneSnapshot;
struct WorkerContext;

struct alignas(32) LinkRoute {
  enum How : uint8_t {
    kNoLink = 0,      // no such link in the snapshot
    kNoNeighbor = 1,  // the link's next hop is not resolved: drop (no_neighbor)
    kDirect = 2,      // straight to tx staging: egress would let the packet through untouched
    kEgress = 3,      // through egress: meter, shaper or hand-off to the link's owner (needs PacketMeta)
  };
  enum Lane : uint8_t {
    kLaneNo = 0,        // the fast lane leaves a cached flow of this class on this link to the general path
    kLanePerFlow = 1,   // it may forward it here: the flow's own entry decides its link
    kLaneHostPair = 2,  // it may, if the flow's host pair decides so too (the class is steered by host pair)
  };
  uint8_t eth[12];  // the link's next-hop MAC then its own: the rewritten frame's first 12 bytes
  uint8_t how;      // How
  uint8_t stay;     // 1: a cached flow of this class already on this link may stay there (the planner's stay_mask)
  uint8_t fast;     // Lane: not kLaneNo when stay and sendable (kDirect or kEgress); which one, by the class's steering
  uint8_t cls;      // the class id this route is for (tx counts class x link at transmit)
  ClassLinkCounters* counted;  // kDirect: direct_tx, which control adds to meter_conform (see build)
  TxQueue* txq;                // the link port's tx staging (kDirect)
};
static_assert(sizeof(LinkRoute) == 32, "two routes per cache line");

struct RouteTable {
  uint64_t generation = ~uint64_t{0};  // of the snapshot the routes were built for
  bool any_host_pair = false;          // some class is steered by host pair (a route's fast is kLaneHostPair)
  LinkRoute route[kMaxClasses][kMaxLinks];

  // May a cached flow of class `cls` on `link` (kNoLink when it has none) stay there?
  bool may_stay(uint8_t cls, uint8_t link) const { return link < kMaxLinks && route[cls][link].stay; }
};

// Rebuilds w.routes for `snap`. Runs on the worker, once per snapshot generation (current_routes).
void route_table_build(WorkerContext& w, const DataplaneSnapshot& snap);

}  // namespace wansteer
