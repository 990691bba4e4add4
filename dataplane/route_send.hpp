// The last step of every LAN->WAN packet, from the fast lane or the general path: the routes of the worker's
// RouteTable for this snapshot, and sending a rewritten packet on one of them (count once, then tx or egress).
#pragma once
#include <cstdint>

#include <rte_mbuf.h>

#include "dataplane/egress.hpp"
#include "dataplane/route_table.hpp"
#include "dataplane/worker.hpp"

namespace wansteer {

// w.routes, rebuilt first when the snapshot changed since (one compare per burst).
inline const RouteTable& current_routes(WorkerContext& w, const DataplaneSnapshot& snap) {
  if (w.routes.generation != snap.generation) route_table_build(w, snap);
  return w.routes;
}

// Sends the packet on route `r` of `link`: straight to the link's tx staging (counted in direct_tx for the
// meter's conform figure), or through egress (meter, shaper, hand-off), which reads its PacketMeta. class x link
// packets and bytes are counted by tx_flush once the NIC took the packet, so they count what left. `r` is a route
// of the worker's RouteTable (or a copy of one); after the frame's rewrite its fields are loaded again (frame bytes
// may alias anything), four loads from a line in cache.
inline void send_on_route(WorkerContext& w, const DataplaneSnapshot& snap, const LinkRoute& r, uint8_t link,
                          rte_mbuf* m, uint64_t now_tsc) {
  if (r.how == LinkRoute::kDirect) {
    r.counted->packets.inc();
    TxQueue& q = *r.txq;
    if (q.n == 2 * kBurst) tx_flush(w, static_cast<uint8_t>(link + 1));
    q.stage(m, r.cls);
  } else {
    egress_submit(w, snap, link, m, now_tsc);
  }
}

}  // namespace wansteer
