// Builds a worker's RouteTable from a snapshot: the one place that decides, per (class, link), whether a packet
// may bypass egress and which counters it adds to. Runs on the worker when the snapshot generation changes.
#include "dataplane/route_table.hpp"

#include <cstring>

#include "dataplane/snapshot.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

void route_table_build(WorkerContext& w, const DataplaneSnapshot& snap) {
  WorkerCounters& c = w.counters;
  w.routes.any_host_pair = false;
  for (uint32_t cls = 0; cls < kMaxClasses; cls++) {
    const ClassSteering& cs = snap.steering.cls[cls];
    for (uint32_t l = 0; l < kMaxLinks; l++) {
      const uint8_t link = static_cast<uint8_t>(l);
      LinkRoute& r = w.routes.route[cls][l];
      r = LinkRoute{};
      r.cls = static_cast<uint8_t>(cls);
      r.counted = &c.direct_tx[cls][l];
      r.txq = &w.tx[l + 1];
      if (l >= snap.n_links) continue;
      r.stay = cs.may_stay(link);
      const LinkConfig& L = snap.links[l];
      if (!L.gateway_resolved) {
        r.how = LinkRoute::kNoNeighbor;
        continue;
      }
      std::memcpy(r.eth, &L.gateway_mac, RTE_ETHER_ADDR_LEN);
      std::memcpy(r.eth + RTE_ETHER_ADDR_LEN, &L.own_mac, RTE_ETHER_ADDR_LEN);
      // Egress would pass the packet straight to tx staging: the link has no shaper and the class no limit there.
      // Whichever worker owns the link: only meters and shapers have a single writer, the owner, and here there
      // is neither, so handing the packet over would only add a ring and load the owner's core (with several
      // workers, most of the owner's time). The profile's mode decides, not the worker's meter state: an unlimited
      // meter needs no configuring to pass. Such packets count in direct_tx (control adds them to meter_conform);
      // the others in the egress counters where egress decides. class_link counts what tx_flush handed to the NIC.
      const bool direct = !snap.egress.shaper[link].enabled && snap.egress.meter[cls][l].mode == MeterMode::unlimited;
      r.how = direct ? LinkRoute::kDirect : LinkRoute::kEgress;
      // The fast lane rewrites frames for a link's next hop; overlay flows are sealed on the general path.
      // With a site peer, whether a flow is sealed depends on its destination, not its route: none takes it.
      if (r.stay && !cs.via_overlay(link) && !snap.overlay.site)
        r.fast = cs.by_host_pair ? LinkRoute::kLaneHostPair : LinkRoute::kLanePerFlow;
      w.routes.any_host_pair |= r.fast == LinkRoute::kLaneHostPair;
    }
  }
  w.routes.generation = snap.generation;
}

}  // namespace wansteer
